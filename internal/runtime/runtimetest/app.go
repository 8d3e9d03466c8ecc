package runtimetest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// AppEnv is the environment variable that, set to "1", makes a binary
// calling AppMain run the test app instead of its usual work.
const AppEnv = "CUTOVER_RUNTIMETEST_APP"

// Environment variables the test app reads.
const (
	// EnvIgnoreSIGTERM set to "1" makes the app ignore SIGTERM.
	EnvIgnoreSIGTERM = "TESTAPP_IGNORE_SIGTERM"
	// EnvListenHost is the address the app listens on; default 127.0.0.1.
	EnvListenHost = "TESTAPP_LISTEN_HOST"
)

// AppMain runs the test app and exits when the process was started as
// one (AppEnv is "1"); otherwise it returns at once. Call it first thing
// in TestMain, or from the main of a test image.
//
// The app's arguments are a mode and its parameters:
//
//	serve          HTTP server on $PORT: "/" answers "ok", "/env/NAME" the
//	               variable's value (404 if unset), "/cwd" the working
//	               directory, "/healthz" 200, "/fail" 500
//	exit CODE [D]  print a line, sleep for duration D, exit with CODE
//	echo TEXT      print "stdout: TEXT" and "stderr: TEXT", then sleep
//	lines N TEXT   print N lines "TEXT i", then sleep
//	sleep          wait for a signal
//	probe PATH     GET http://127.0.0.1:$PORT/PATH; exit 0 on 200, else 1
//
// Every mode that waits exits 0 on SIGTERM or SIGINT, printing
// "got SIGTERM", unless EnvIgnoreSIGTERM is set ("ignoring SIGTERM").
func AppMain() {
	if os.Getenv(AppEnv) != "1" {
		return
	}
	os.Exit(runApp(os.Args[1:], os.Stdout, os.Stderr))
}

// runApp runs one mode and returns the exit code.
func runApp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "testapp: no mode")
		return 2
	}
	// Handle signals before anything else, so that a driver's SIGTERM
	// is never lost to the default action once the app is ready.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	mode, params := args[0], args[1:]
	switch {
	case mode == "serve":
		return serve(stdout, stderr, sigs)
	case mode == "exit" && len(params) >= 1:
		code, err := strconv.Atoi(params[0])
		if err != nil {
			fmt.Fprintln(stderr, "testapp: bad exit code:", err)
			return 2
		}
		var delay time.Duration
		if len(params) > 1 {
			if delay, err = time.ParseDuration(params[1]); err != nil {
				fmt.Fprintln(stderr, "testapp: bad delay:", err)
				return 2
			}
		}
		fmt.Fprintf(stdout, "exiting with code %d after %s\n", code, delay)
		time.Sleep(delay)
		return code
	case mode == "echo" && len(params) == 1:
		fmt.Fprintln(stdout, "stdout: "+params[0])
		fmt.Fprintln(stderr, "stderr: "+params[0])
		return waitSignal(stdout, sigs)
	case mode == "lines" && len(params) == 2:
		n, err := strconv.Atoi(params[0])
		if err != nil {
			fmt.Fprintln(stderr, "testapp: bad line count:", err)
			return 2
		}
		for i := range n {
			fmt.Fprintf(stdout, "%s %d\n", params[1], i)
		}
		return waitSignal(stdout, sigs)
	case mode == "sleep":
		return waitSignal(stdout, sigs)
	case mode == "probe" && len(params) == 1:
		return probe(params[0], stderr)
	default:
		fmt.Fprintf(stderr, "testapp: unknown mode or arguments %q\n", args)
		return 2
	}
}

// waitSignal waits for SIGTERM or SIGINT and returns 0, ignoring SIGTERM
// when EnvIgnoreSIGTERM is set.
func waitSignal(stdout io.Writer, sigs <-chan os.Signal) int {
	ignore := os.Getenv(EnvIgnoreSIGTERM) == "1"
	for sig := range sigs {
		name := "SIGINT"
		if sig == syscall.SIGTERM {
			name = "SIGTERM"
		}
		if ignore && sig == syscall.SIGTERM {
			fmt.Fprintln(stdout, "ignoring SIGTERM")
			continue
		}
		fmt.Fprintln(stdout, "got "+name)
		return 0
	}
	return 0
}

// serve runs the HTTP server on $PORT until a signal ends it.
func serve(stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	host := os.Getenv(EnvListenHost)
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, os.Getenv("PORT")))
	if err != nil {
		fmt.Fprintln(stderr, "testapp: listen:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /env/{name}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := os.LookupEnv(r.PathValue("name"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, v)
	})
	mux.HandleFunc("GET /cwd", func(w http.ResponseWriter, _ *http.Request) {
		wd, err := os.Getwd()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, wd)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "healthy")
	})
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "failing on purpose", http.StatusInternalServerError)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "testapp: serve:", err)
		}
	}()
	fmt.Fprintln(stdout, "listening on", ln.Addr())
	code := waitSignal(stdout, sigs)
	_ = srv.Close()
	return code
}

// probe gets PATH from the app's own server and reports success as 0.
func probe(path string, stderr io.Writer) int {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", os.Getenv("PORT")) + path)
	if err != nil {
		fmt.Fprintln(stderr, "testapp: probe:", err)
		return 1
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "testapp: probe: status", resp.Status)
		return 1
	}
	return 0
}
