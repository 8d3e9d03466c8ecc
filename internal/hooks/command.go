package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// stderrTail is how much of a command's standard error is kept, from its
// end, to log and to explain a failure.
const stderrTail = 2 << 10

// waitDelay bounds how long a command's output is waited for once the
// command has exited or been killed, should something outside its process
// group still hold its output open.
const waitDelay = time.Second

// runCommand runs command c standing in for Lambda function name: event on
// its standard input, reply from its standard output. It runs in a
// process group of its own, all of which is killed when the timeout runs
// out and, so that nothing it started outlives the invocation, when it
// exits.
func (i *Invoker) runCommand(ctx context.Context, name string, c Command, event []byte) ([]byte, error) {
	prefix := "command " + name
	ctx, cancel := context.WithTimeoutCause(ctx, c.Timeout, ErrTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = commandEnv(c.Env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	var stdout replyBuffer
	var stderr tailBuffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(event), &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if len(stderr.b) > 0 {
		i.logger.Debug("hook command stderr", "command", name, "stderr", string(stderr.b))
	}
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return stdout.buf.Bytes(), nil
	}
	var exitErr *exec.ExitError
	switch {
	case stdout.over:
		return nil, fmt.Errorf("%s: %w", prefix, ErrReplyTooLarge)
	case errors.Is(context.Cause(ctx), ErrTimeout):
		return nil, fmt.Errorf("%s: %w after %s", prefix, ErrTimeout, c.Timeout)
	case ctx.Err() != nil: // the caller gave up
		return nil, fmt.Errorf("%s: %w", prefix, context.Cause(ctx))
	case errors.As(err, &exitErr):
		msg := fmt.Sprintf("%s exited with status %d", prefix, exitErr.ExitCode())
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			msg = fmt.Sprintf("%s was killed by signal %d (%s)", prefix, int(ws.Signal()), ws.Signal())
		}
		if s := snippet(stderr.b, 512, true); s != "" {
			msg += ": " + s
		}
		return nil, &wrapError{msg: msg, err: err}
	}
	return nil, &wrapError{msg: prefix + ": " + summary(err), err: err}
}

// commandEnv returns the server's environment with extra added, or nil
// (the server's environment as it is) when there is nothing to add.
func commandEnv(extra map[string]string) []string {
	if len(extra) == 0 {
		return nil
	}
	env := os.Environ()
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// replyBuffer collects a command's reply and refuses to grow past
// MaxReplyBytes, which stops the copy from the command (it then gets
// SIGPIPE).
type replyBuffer struct {
	buf  bytes.Buffer
	over bool
}

func (b *replyBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > MaxReplyBytes {
		b.over = true
		return 0, ErrReplyTooLarge
	}
	return b.buf.Write(p)
}

// tailBuffer keeps the last stderrTail bytes written to it.
type tailBuffer struct {
	b []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > stderrTail {
		p = p[len(p)-stderrTail:]
	}
	if drop := len(t.b) + len(p) - stderrTail; drop > 0 {
		t.b = append(t.b[:0], t.b[drop:]...)
	}
	t.b = append(t.b, p...)
	return n, nil
}
