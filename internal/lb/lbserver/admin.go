package lbserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/lb"
)

// maxConfigSize bounds a PUT /config body.
const maxConfigSize = 32 << 20

// admin serves the admin API of one balancer and persists every
// configuration it applies.
type admin struct {
	b   *lb.Balancer
	dir string
	log *slog.Logger
	// mu makes apply-then-persist one step, so that config.json always
	// holds the configuration applied last.
	mu sync.Mutex
	// pushed is set once a configuration was applied through the API;
	// the startup retry of the persisted one then gives up.
	pushed bool
	// unsaved is set while the configuration applied last is not in
	// config.json (the directory full or read-only): saveLater retries,
	// so that a restart after the directory recovers serves it, not an
	// older one. saving is set while saveLater runs.
	unsaved, saving bool
	// ctx ends saveLater with Run; every is its retry interval.
	ctx   context.Context
	every time.Duration
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

// apply applies cfg and persists it.
func (a *admin) apply(cfg lb.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.b.Apply(cfg); err != nil {
		return err
	}
	a.pushed = true
	if err := saveConfig(a.dir, cfg); err != nil {
		a.unsaved = true
		if !a.saving && a.ctx != nil {
			a.saving = true
			go a.saveLater()
		}
		return fmt.Errorf("configuration version %d applied but not persisted (retried in the background): %w", cfg.Version, err)
	}
	a.unsaved = false
	return nil
}

// saveLater persists the configuration applied last until it succeeds,
// a later apply persisted its own, or Run ends.
func (a *admin) saveLater() {
	t := time.NewTicker(a.every)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		if !a.unsaved {
			a.saving = false
			a.mu.Unlock()
			return
		}
		cfg := a.b.Config()
		if err := saveConfig(a.dir, cfg); err != nil {
			a.mu.Unlock()
			a.log.Debug("persist config", "version", cfg.Version, "error", err)
			continue
		}
		a.unsaved, a.saving = false, false
		a.mu.Unlock()
		a.log.Info("configuration persisted", "version", cfg.Version)
		return
	}
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

// configFile is the name of the persisted configuration in the data
// directory.
const configFile = "config.json"

// loadConfig reads the persisted configuration; ok is false when there
// is none yet.
func loadConfig(dir string) (cfg lb.Config, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, fs.ErrNotExist) {
		return lb.Config{}, false, nil
	}
	if err != nil {
		return lb.Config{}, false, fmt.Errorf("read persisted config: %w", err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return lb.Config{}, false, fmt.Errorf("decode persisted config %s: %w", filepath.Join(dir, configFile), err)
	}
	return cfg, true, nil
}

// saveConfig persists cfg atomically: a temp file in dir, synced, then
// renamed over config.json, then the directory synced, so that a crash
// leaves either the old or the new file.
func saveConfig(dir string, cfg lb.Config) error {
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	f, err := os.CreateTemp(dir, configFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("persist config: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("persist config: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("persist config: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("persist config: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, configFile)); err != nil {
		return fmt.Errorf("persist config: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("persist config: open dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("persist config: sync dir: %w", err)
	}
	return nil
}
