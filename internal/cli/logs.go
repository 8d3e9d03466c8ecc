package cli

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/cutover/cutover/internal/server"
)

// runLogs prints the tail of a task container's output, read from the
// server like any client would.
func runLogs(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cutover logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", "http://127.0.0.1:7400", "cutover API endpoint")
	cluster := fs.String("cluster", "default", "cluster of the task")
	container := fs.String("container", "", "container name (required)")
	n := fs.Int64("bytes", 64<<10, "how many bytes of the end of the log to print")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: cutover logs [flags] TASK --container NAME\n\nTASK is a task ID or ARN.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *container == "" {
		fs.Usage()
		return fmt.Errorf("%w: need one TASK and --container", errUsage)
	}
	task := fs.Arg(0)
	if i := strings.LastIndexByte(task, '/'); i >= 0 {
		task = task[i+1:]
	}
	u := fmt.Sprintf("%s%s%s/%s/%s?bytes=%d", strings.TrimRight(*endpoint, "/"), server.LogsPath,
		url.PathEscape(*cluster), url.PathEscape(task), url.PathEscape(*container), *n)
	resp, err := http.Get(u)
	if err != nil {
		return fmt.Errorf("read logs: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("read logs: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	_, err = io.Copy(stdout, resp.Body)
	return err
}
