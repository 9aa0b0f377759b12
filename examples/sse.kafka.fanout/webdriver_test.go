package fanout_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testtool"
)

// browser is a headless Chromium driven through chromedriver's WebDriver
// HTTP API (W3C WebDriver): enough to open a page and read its state.
type browser struct {
	base    string // chromedriver's URL
	session string
}

// startBrowser starts chromedriver and a Chromium session with the flags
// this sandbox needs, and ends both when the test does.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	chromium := testtool.Require(t, "chromium")
	driver := testtool.Require(t, "chromedriver")
	port := testtool.FreePort(t)
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port))
	logFile, err := os.Create(t.TempDir() + "/chromedriver.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("chromedriver: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	b := &browser{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var status struct {
			Ready bool `json:"ready"`
		}
		if err := b.call("GET", "/status", nil, &status); err == nil && status.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("chromedriver did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromium,
			"args": []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()},
		},
	}}}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("POST", "/session", caps, &session); err != nil {
		t.Fatalf("new browser session: %v", err)
	}
	b.session = session.SessionID
	t.Cleanup(func() { b.call("DELETE", "/session/"+b.session, nil, nil) })
	return b
}

// call sends one WebDriver command and decodes the "value" of its answer.
func (b *browser) call(method, path string, body, value any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var envelope struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, envelope.Value)
	}
	if value != nil {
		return json.Unmarshal(envelope.Value, value)
	}
	return nil
}

// open navigates to url.
func (b *browser) open(t *testing.T, url string) {
	t.Helper()
	if err := b.call("POST", "/session/"+b.session+"/url", map[string]string{"url": url}, nil); err != nil {
		t.Fatal(err)
	}
}

// eval runs a script in the page and decodes what it returns.
func (b *browser) eval(t *testing.T, script string, out any) {
	t.Helper()
	body := map[string]any{"script": script, "args": []any{}}
	if err := b.call("POST", "/session/"+b.session+"/execute/sync", body, out); err != nil {
		t.Fatal(err)
	}
}
