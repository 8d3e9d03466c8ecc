package lbserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/cutover/cutover/internal/lb"
)

// maxConfigSize bounds a PUT /config body.
const maxConfigSize = 32 << 20

// admin serves the admin API of one balancer; its persister saves every
// configuration it applies.
type admin struct {
	b   *lb.Balancer
	log *slog.Logger
	// mu orders applies, and the startup retry of the persisted
	// configuration with them.
	mu sync.Mutex
	// pushed is set once a configuration was applied through the API;
	// the startup retry of the persisted one then gives up.
	pushed bool
	saver  *persister
}

func (a *admin) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT "+lb.AdminPathConfig, a.putConfig)
	mux.HandleFunc("GET "+lb.AdminPathConfig, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.b.Config())
	})
	mux.HandleFunc("GET "+lb.AdminPathHealth, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.b.Health())
	})
	mux.HandleFunc("GET "+lb.AdminPathHealthWait, a.waitHealth)
	mux.HandleFunc("GET "+lb.AdminPathStats, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.b.Stats())
	})
	mux.HandleFunc("GET "+lb.AdminPathMetrics, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.b.Metrics())
	})
	mux.HandleFunc("GET "+lb.AdminPathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// waitHealth answers a health long poll (lb.AdminPathHealthWait).
func (a *admin) waitHealth(w http.ResponseWriter, r *http.Request) {
	after, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("after must be a generation number: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), lb.HealthWaitLimit)
	defer cancel()
	// Past the limit the generation is unchanged, which tells the caller.
	gen, _ := a.b.WaitHealth(ctx, after)
	if r.Context().Err() != nil {
		return // the caller left
	}
	writeJSON(w, http.StatusOK, lb.HealthGeneration{Generation: gen})
}

func (a *admin) putConfig(w http.ResponseWriter, r *http.Request) {
	var cfg lb.Config
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxConfigSize)).Decode(&cfg); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode config: %w", err))
		return
	}
	err := a.apply(cfg)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, struct {
			Version uint64 `json:"version"`
		}{cfg.Version})
	case errors.Is(err, lb.ErrStaleVersion):
		writeError(w, http.StatusConflict, err)
	case errors.Is(err, lb.ErrInvalidConfig), errors.Is(err, lb.ErrListen):
		writeError(w, http.StatusBadRequest, err)
	default:
		a.log.Error("apply config", "version", cfg.Version, "error", err)
		writeError(w, http.StatusInternalServerError, err)
	}
}

// apply applies cfg and has it persisted. It returns once cfg serves,
// before config.json holds it: the control plane's pushes, a rollback's
// flip among them, wait for no disk sync. A process killed before the
// save comes back with the configuration saved before, and the control
// plane, which compares what the data plane serves with what it wants on
// every pass, pushes the newer one again.
func (a *admin) apply(cfg lb.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.b.Apply(cfg); err != nil {
		return err
	}
	a.pushed = true
	a.saver.changed()
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, lb.AdminError{Message: err.Error()})
}
