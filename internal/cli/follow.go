package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
)

// How long a followed deployment may go unread because the server cannot
// be reached (it restarts, say) before following gives up.
const followUnreachable = 2 * time.Minute

// liveFrame is how often the live view turns its spinner and counts down.
const liveFrame = 250 * time.Millisecond

// followRenderer shows a followed deployment as it goes.
type followRenderer interface {
	// show renders the deployment as last read; problem, when not empty,
	// says why it could not be read since.
	show(d *deployment, problem string)
}

// liveRenderer redraws the live view in place on a terminal.
type liveRenderer struct {
	r     redrawer
	width int
	frame int
}

func (l *liveRenderer) show(d *deployment, problem string) {
	l.frame++
	l.r.draw(liveLines(d, l.frame, l.width, problem))
}

// logRenderer appends lines when something changed.
type logRenderer struct {
	w       io.Writer
	v       *logView
	problem string
}

func (l *logRenderer) show(d *deployment, problem string) {
	if problem != l.problem {
		l.problem = problem
		if problem != "" {
			fmt.Fprintf(l.w, "%s  %s\n", fmtClock(d.now, d.loc), problem)
		}
	}
	for _, line := range l.v.lines(d) {
		fmt.Fprintln(l.w, line)
	}
}

// jsonRenderer writes the deployment's details as one line of JSON each
// time they change.
type jsonRenderer struct {
	w    io.Writer
	last string
}

func (j *jsonRenderer) show(d *deployment, _ string) {
	b, err := jsonLine(d.DeploymentDetails)
	if err != nil || string(b) == j.last {
		return
	}
	j.last = string(b)
	j.w.Write(b)
}

// renderer picks how to show a deployment followed on w: redrawn in
// place on a terminal, appended lines otherwise.
func (a *app) renderer(w io.Writer) followRenderer {
	if width, ok := a.terminal(w); ok {
		return &liveRenderer{r: redrawer{w: w}, width: width}
	}
	return &logRenderer{w: w, v: newLogView()}
}

// follow reads the deployment arn again and again, showing it with r,
// until it ends, ctx is done, or timeout (when not 0) passes. It returns
// the last details read. It keeps trying through a server that cannot be
// reached for a while, but not through one that refuses.
func (a *app) follow(ctx context.Context, c *client.Client, arn string, r followRenderer, timeout time.Duration) (*cutoverapi.DeploymentDetails, error) {
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	frame := a.interval
	if _, live := r.(*liveRenderer); live {
		frame = min(liveFrame, a.interval)
	}
	ticker := time.NewTicker(frame)
	defer ticker.Stop()
	var last *cutoverapi.DeploymentDetails
	var lastRead, failingSince time.Time
	problem := ""
	for {
		now := a.now()
		if now.Sub(lastRead) >= a.interval {
			lastRead = now
			out, err := c.DescribeServiceDeploymentDetails(ctx, &cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: arn})
			var ae *client.APIError
			switch {
			case ctx.Err() != nil:
				return last, ctx.Err()
			case err == nil:
				last, failingSince, problem = &out.Details, time.Time{}, ""
			case errors.As(err, &ae) && ae.Status < 500 || last == nil:
				return last, err
			default:
				if failingSince.IsZero() {
					failingSince = now
				}
				if now.Sub(failingSince) > followUnreachable {
					return last, err
				}
				problem = fmt.Sprintf("cannot read the deployment (%v); retrying", err)
			}
		}
		d := newDeployment(last, now, a.loc)
		r.show(d, problem)
		if !d.ongoing() {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-deadline:
			return last, &exitErr{code: exitWait, err: fmt.Errorf("the deployment did not end within %v; it goes on", timeout)}
		case <-ticker.C:
		}
	}
}

// followOutcome follows the deployment arn, showing it with r, and turns
// how it ended into the command's result: nil when SUCCESSFUL, an
// *exitErr with the outcome's code otherwise. On Ctrl-C it says how to
// follow again.
func (a *app) followOutcome(ctx context.Context, c *client.Client, arn string, r followRenderer, timeout time.Duration) (*cutoverapi.DeploymentDetails, error) {
	d, err := a.follow(ctx, c, arn, r, timeout)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(a.stderr, "Stopped following; the deployment goes on. Follow it again with: cutover deployments watch %s\n", arn)
		return d, &exitErr{code: exitSignal, err: errReported}
	}
	if err != nil {
		return d, err
	}
	sd := d.ServiceDeployment
	code, _ := outcome(sd.Status)
	if code == exitOK {
		return d, nil
	}
	msg := fmt.Sprintf("deployment %s ended %s", lastPart(arn), sd.Status)
	if sd.StatusReason != "" {
		msg += ": " + sd.StatusReason
	}
	return d, &exitErr{code: code, err: errors.New(msg)}
}
