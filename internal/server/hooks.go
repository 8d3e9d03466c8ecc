package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/events"
	"github.com/cutover/cutover/internal/hooks"
	"github.com/cutover/cutover/internal/store"
)

// SigningSecretFile, in the data directory, holds the generated key that
// signs requests to URL hooks and webhooks when the config file names
// none.
const SigningSecretFile = "signing-secret"

// EventsPath serves the event stream (Server-Sent Events).
const EventsPath = "/cutover/v1/events"

// loadConfig reads the configuration file, if there is one.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return &config.Config{}, nil
	}
	return config.Load(path)
}

// signingSecret is the config file's signing secret, or one generated on
// first start (by the first server, of those sharing st) and kept in the
// data directory for receivers to read.
func signingSecret(ctx context.Context, cfg *config.Config, st store.Store, dataDir string) ([]byte, error) {
	if cfg.SigningSecret != "" {
		return []byte(cfg.SigningSecret), nil
	}
	secret, err := sharedDataDirValue(ctx, st, dataDir, SigningSecretFile, rand.Text)
	if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	return []byte(secret), nil
}

// newInvoker builds the hook invoker from the flags and the config file.
func newInvoker(cfg Config, file *config.Config, secret []byte, log *slog.Logger) (*hooks.Invoker, error) {
	cmds := map[string]hooks.Command{}
	for name, c := range file.Hooks.Commands {
		cmds[name] = hooks.Command{Argv: c.Command, Dir: c.Dir, Env: c.Env, Timeout: time.Duration(c.Timeout)}
	}
	return hooks.New(hooks.Config{
		Region: cfg.Region, LambdaEndpoint: cfg.LambdaEndpoint, SigningSecret: secret,
		Commands: cmds, Timeout: time.Duration(file.Hooks.Timeout), Logger: log,
	})
}

// newEvents builds event delivery: the SSE stream, the given sinks and
// the config file's webhooks, signed with their own secret or the
// server's.
func newEvents(st store.Store, file *config.Config, secret []byte, log *slog.Logger, sinks ...events.Sink) (*events.Events, error) {
	for _, w := range file.Events.Webhooks {
		s := events.Sink{Name: w.Name, URL: w.URL, Secret: secret, DetailTypes: w.DetailTypes}
		if w.Secret != "" {
			s.Secret = []byte(w.Secret)
		}
		sinks = append(sinks, s)
	}
	return events.New(events.Config{Store: st, Logger: log, Sinks: sinks})
}
