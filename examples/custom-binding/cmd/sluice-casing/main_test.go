package main_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testtool"
)

// The custom build lists the casing binding and runs the example
// configuration; a real nc sees its words come back in upper case.
func TestCustomBuild(t *testing.T) {
	nc := testtool.Require(t, "nc")
	bin := filepath.Join(t.TempDir(), "sluice-casing")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "list").Output()
	if err != nil || !strings.Contains(string(out), "casing") || !strings.Contains(string(out), "tcp") {
		t.Fatalf("list: %v\n%s", err, out)
	}

	port := testtool.FreePort(t)
	cmd := exec.Command(bin, "start", "-c", "../../zilla.yaml")
	cmd.Env = append(os.Environ(), "CASING_PORT="+strconv.Itoa(port))
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()

	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		client := exec.CommandContext(ctx, nc, "-N", "127.0.0.1", strconv.Itoa(port))
		client.Stdin = strings.NewReader("shout this\n")
		got, err := client.Output()
		cancel()
		if err == nil && string(got) == "SHOUT THIS\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nc got %q (%v); sluice logs:\n%s", got, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
