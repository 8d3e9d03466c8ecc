package lbserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cutover/cutover/internal/lb"
)

// persister saves the configuration the balancer serves to config.json
// in the background, after each apply has been answered. Applies that
// come faster than the disk syncs are saved together: each save writes
// the configuration applied last, so config.json always ends with it. A
// save that fails (the directory full or read-only) is tried again every
// retry interval until it succeeds.
type persister struct {
	dir string
	log *slog.Logger
	// current returns the configuration to save: the one applied last.
	current func() lb.Config
	every   time.Duration
	// dirty holds a token while an applied configuration waits to be
	// saved.
	dirty chan struct{}
	// done is closed once run has returned.
	done chan struct{}
	// failing is set while saves fail: the first failure is an error in
	// the log, the retries are not.
	failing bool
}

func newPersister(dir string, current func() lb.Config, every time.Duration, log *slog.Logger) *persister {
	return &persister{dir: dir, log: log, current: current, every: every,
		dirty: make(chan struct{}, 1), done: make(chan struct{})}
}

// changed says that a configuration was applied. It never blocks.
func (p *persister) changed() {
	select {
	case p.dirty <- struct{}{}:
	default: // a save is due already; it will read the newest
	}
}

// run saves configurations as they are applied until ctx ends, and then
// once more if one is still unsaved, so that a clean stop leaves the
// last one in config.json.
func (p *persister) run(ctx context.Context) {
	defer close(p.done)
	var (
		retry   <-chan time.Time
		unsaved bool
	)
	for {
		select {
		case <-ctx.Done():
			select {
			case <-p.dirty:
				unsaved = true
			default:
			}
			if unsaved {
				p.save()
			}
			return
		case <-p.dirty:
		case <-retry:
		}
		if unsaved = !p.save(); unsaved {
			retry = time.After(p.every)
		} else {
			retry = nil
		}
	}
}

// save writes the current configuration and reports whether it did.
func (p *persister) save() bool {
	cfg := p.current()
	if err := saveConfig(p.dir, cfg); err != nil {
		level := slog.LevelError
		if p.failing {
			level = slog.LevelDebug
		}
		p.log.Log(context.Background(), level, "persist config; retrying", "version", cfg.Version, "every", p.every, "error", err)
		p.failing = true
		return false
	}
	if p.failing {
		p.log.Info("configuration persisted", "version", cfg.Version)
	}
	p.failing = false
	return true
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
