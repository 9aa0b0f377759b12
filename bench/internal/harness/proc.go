package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a process a scenario started: sluice, a reference server, or a
// client worker. Its output goes to a log file in the scenario's scratch
// folder, shown when it fails to start.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	Log  string

	in      io.WriteCloser
	out     *bufio.Scanner
	callMu  sync.Mutex
	done    chan struct{}
	stopped sync.Once
}

// Spec says how to start a process.
type Spec struct {
	Name string   // for logs and errors
	Path string   // the program
	Args []string // its arguments
	Env  []string // added to this process's environment
	// Pipes connects the process's stdin and stdout to Call, for roles
	// that answer commands; its stderr still goes to the log.
	Pipes bool
}

// Start starts a process for the scenario; it is stopped when the
// scenario ends, and killed if this program dies first.
func (e *Env) Start(s Spec) *Proc {
	p := &Proc{Name: s.Name, Log: filepath.Join(e.Tmp, fmt.Sprintf("%s-%d.log", sanitize(s.Name), time.Now().UnixNano()))}
	logFile, err := os.Create(p.Log)
	Check(err)
	p.Cmd = exec.Command(s.Path, s.Args...)
	p.Cmd.Env = append(os.Environ(), s.Env...)
	p.Cmd.Stderr = logFile
	// A child outlives no benchmark: if this program dies, so does it.
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if s.Pipes {
		p.in, err = p.Cmd.StdinPipe()
		Check(err)
		stdout, err := p.Cmd.StdoutPipe()
		Check(err)
		p.out = bufio.NewScanner(stdout)
		p.out.Buffer(make([]byte, 1<<20), 64<<20)
	} else {
		p.Cmd.Stdout = logFile
	}
	if err := p.Cmd.Start(); err != nil {
		logFile.Close()
		Failf("start %s: %v", s.Name, err)
	}
	p.done = make(chan struct{})
	go func() {
		p.Cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p
}

// StartRole starts this program again to play a role (see Role).
func (e *Env) StartRole(role string, env []string, pipes bool, args ...string) *Proc {
	self, err := os.Executable()
	Check(err)
	return e.Start(Spec{Name: role, Path: self, Args: args, Env: append(env, roleEnv+"="+role), Pipes: pipes})
}

// StartPlain starts a reference server of bench/plain.
func (e *Env) StartPlain(env []string, args ...string) *Proc {
	return e.Start(Spec{Name: "plain " + args[0], Path: e.Plain, Args: args, Env: env})
}

// SluiceSpec says how to start sluice.
type SluiceSpec struct {
	Config string   // zilla.yaml
	Env    []string // its environment variables (ports, topics)
	Args   []string // more `sluice start` flags
	// Profile saves this process's CPU and allocation profiles in the
	// scenario's ProfileDir, if the run asked for profiles.
	Profile bool
}

// StartSluice runs `sluice start` with a configuration.
func (e *Env) StartSluice(s SluiceSpec) *Proc {
	args := append([]string{"start", "-c", s.Config, "-grace", "2s"}, s.Args...)
	if cpu, mem := e.ProfilePaths(); s.Profile && cpu != "" {
		Check(os.MkdirAll(e.ProfileDir, 0o755))
		args = append(args, "-cpuprofile", cpu, "-memprofile", mem)
		e.Profiled = &Profiles{CPU: cpu, Mem: mem}
	}
	return e.Start(Spec{Name: "sluice", Path: e.Sluice, Args: args, Env: s.Env})
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Exited says whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitListening waits until the process accepts connections on addr, and
// fails with the tail of its log if it ends or takes longer than 30 s.
func (p *Proc) WaitListening(addr string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if Accepts(addr) {
			return
		}
		if p.Exited() {
			Failf("%s ended before listening on %s: %s", p.Name, addr, p.Tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	Failf("%s does not listen on %s after 30 s: %s", p.Name, addr, p.Tail())
}

// Tail returns the last lines of the process's log.
func (p *Proc) Tail() string {
	b, _ := os.ReadFile(p.Log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// Stop asks the process to end (SIGINT, or closing its stdin for a role
// that answers commands), which lets sluice write its profiles, and
// kills it after 20 s.
func (p *Proc) Stop() {
	p.stopped.Do(func() {
		if p.in != nil {
			p.in.Close() // a role ends when its commands do
		} else {
			p.Cmd.Process.Signal(os.Interrupt)
		}
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			p.Cmd.Process.Kill()
			<-p.done
		}
	})
}

// Call sends a command line to a role started with pipes and decodes the
// JSON line that answers it (a command "" only reads a line).
func (p *Proc) Call(command string, out any) {
	p.callMu.Lock()
	defer p.callMu.Unlock()
	if command != "" {
		if _, err := fmt.Fprintln(p.in, command); err != nil {
			Failf("%s: %q: %v: %s", p.Name, command, err, p.Tail())
		}
	}
	if !p.out.Scan() {
		Failf("%s: no answer to %q (%v): %s", p.Name, command, p.out.Err(), p.Tail())
	}
	if out != nil {
		if err := json.Unmarshal(p.out.Bytes(), out); err != nil {
			Failf("%s: answer %q: %v", p.Name, p.out.Text(), err)
		}
	}
}

// CPUSeconds returns the user and system CPU time the process used.
func (p *Proc) CPUSeconds() float64 { return CPUSeconds(p.Pid()) }

// RSS returns the process's resident memory in bytes.
func (p *Proc) RSS() int64 { return RSS(p.Pid()) }

// CPUSeconds reads a process's user and system CPU time from /proc.
func CPUSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime from the text of /proc/PID/stat.
func parseStat(text string) float64 {
	// The fields after the command name, which is in parentheses and may
	// hold spaces, start with the state (field 3); utime and stime are
	// fields 14 and 15.
	f := strings.Fields(text[strings.LastIndexByte(text, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

// RSS reads VmRSS from /proc/PID/status, in bytes.
func RSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return parseRSS(string(b))
}

func parseRSS(status string) int64 {
	for _, line := range strings.Split(status, "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) < 2 {
				return 0
			}
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// MachineCPU returns the CPU seconds all cores have spent busy and in
// total since boot, from /proc/stat.
func MachineCPU() (busy, total float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	for i, v := range f[1:] {
		x, _ := strconv.ParseFloat(v, 64)
		if i >= 8 { // guest time is counted in user time already
			break
		}
		total += x
		if i != 3 && i != 4 { // idle, iowait
			busy += x
		}
	}
	return busy / 100, total / 100 // USER_HZ is 100 on Linux
}

// LoadAverage returns the one-minute load average.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}

// SelfCPUSeconds returns this process's CPU time, user and system.
func SelfCPUSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}
