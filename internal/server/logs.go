package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// LogsPath is where a task's container logs are read:
// GET /cutover/v1/logs/{cluster}/{task}/{container}?bytes=N returns the
// last N bytes (default 64 KiB) of the container's output as text.
const LogsPath = "/cutover/v1/logs/"

const defaultLogBytes = 64 << 10

// logsHandler serves container logs from the driver of the runtime the
// task runs on.
func logsHandler(st store.Store, drivers map[string]runtime.Driver) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LogsPath+"{cluster}/{task}/{container}", func(w http.ResponseWriter, r *http.Request) {
		cluster, id, container := r.PathValue("cluster"), r.PathValue("task"), r.PathValue("container")
		n := int64(defaultLogBytes)
		if s := r.URL.Query().Get("bytes"); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				http.Error(w, "bytes must be a non-negative integer", http.StatusBadRequest)
				return
			}
			n = v
		}
		var task *state.Task
		err := st.View(r.Context(), func(tx store.Tx) (err error) {
			task, err = state.Tx{Tx: tx}.Task(cluster, id)
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			http.Error(w, "task not found", http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		driver, ok := drivers[task.RuntimeName()]
		if !ok {
			http.Error(w, "no logs: the task's runtime "+task.RuntimeName()+" is not available on this server", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		err = driver.Logs(r.Context(), id, container, n, w)
		if errors.Is(err, runtime.ErrTaskNotFound) {
			http.Error(w, "no logs kept for this task and container (logs go when a stopped task is cleaned up)", http.StatusNotFound)
		} else if err != nil {
			http.Error(w, "read logs: "+err.Error(), http.StatusInternalServerError)
		}
	})
	return mux
}
