package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EventsPath is where the server streams its events as Server-Sent
// Events (internal/server's EventsPath).
const EventsPath = "/cutover/v1/events"

// Detail types of the events, as the server spells them.
const (
	DetailDeploymentStateChange = "ECS Deployment State Change"
	DetailHookStateChange       = "ECS Hook State Change"
	DetailTaskStateChange       = "ECS Task State Change"
	DetailServiceAction         = "ECS Service Action"
	DetailAuditRecord           = "Cutover Audit Record"
)

// DetailTypes lists every detail type, in the order above.
var DetailTypes = []string{DetailDeploymentStateChange, DetailHookStateChange, DetailTaskStateChange, DetailServiceAction, DetailAuditRecord}

// Envelope is an event as EventBridge shapes it.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Event is one event of the stream.
type Event struct {
	// Seq is the event's sequence number in the server's log, its
	// Server-Sent Events ID: a stream resumes after it.
	Seq uint64
	// Envelope is the event, decoded.
	Envelope Envelope
	// Raw is the envelope's JSON as the server sent it.
	Raw json.RawMessage
}

// EventQuery selects the events of a stream.
type EventQuery struct {
	// FromStart replays the events the server still keeps, from the one
	// after After (0 means every one). Without it the stream starts with
	// the events that follow the request.
	FromStart bool
	After     uint64
	// DetailTypes, when not empty, keeps the events of these detail types.
	DetailTypes []string
	// Resource, when not empty, keeps the events about this ARN; for a
	// service ARN, those of its deployments and tasks too.
	Resource string
	// Backlog ends the stream (Next returns io.EOF) once the events the
	// server keeps so far are read, instead of following new ones.
	Backlog bool
	// OnReconnect, optional, is called before each attempt to reconnect
	// after the stream broke, with why it broke.
	OnReconnect func(err error)
}

// EventStream is a stream of events opened by Client.Events. Read it
// with Next; Close it when done.
type EventStream struct {
	events chan Event
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// reconnect delays: the first retry comes soon, later ones back off.
const (
	minReconnectDelay = 250 * time.Millisecond
	maxReconnectDelay = 5 * time.Second
)

// Events opens the event stream. A first connection that fails ends the
// stream with that error (see Next); once connected, a broken stream is
// reopened after the last event received (the Last-Event-ID header),
// with growing delays, until ctx is done or Close is called. A stream
// that started without FromStart and broke before any event came resumes
// from "now" again: events in between are lost.
func (c *Client) Events(ctx context.Context, q EventQuery) *EventStream {
	ctx, cancel := context.WithCancel(ctx)
	s := &EventStream{events: make(chan Event, 64), cancel: cancel, done: make(chan struct{})}
	go s.run(ctx, c, q)
	return s
}

// Next returns the next event. It returns ctx's error when ctx is done
// first, and the stream's error once it has ended: a server or network
// error, or the context of Events being done.
func (s *EventStream) Next(ctx context.Context) (Event, error) {
	select {
	case ev, ok := <-s.events:
		if ok {
			return ev, nil
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return Event{}, s.err
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Close ends the stream and waits for its connection to close.
func (s *EventStream) Close() error {
	s.cancel()
	<-s.done
	return nil
}

func (s *EventStream) run(ctx context.Context, c *Client, q EventQuery) {
	defer close(s.done)
	defer close(s.events)
	lastSeq, resume := q.After, q.FromStart
	delay := minReconnectDelay
	everConnected := false
	for {
		connected, err := s.read(ctx, c, q, lastSeq, resume, func(seq uint64) {
			lastSeq, resume = seq, true
			delay = minReconnectDelay
		})
		everConnected = everConnected || connected
		if ctx.Err() != nil {
			s.setErr(ctx.Err())
			return
		}
		if err == io.EOF {
			s.setErr(err)
			return
		}
		var ae *APIError
		if !everConnected || errors.As(err, &ae) && ae.Status < 500 {
			s.setErr(err)
			return
		}
		if q.OnReconnect != nil {
			q.OnReconnect(err)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			s.setErr(ctx.Err())
			return
		}
		delay = min(2*delay, maxReconnectDelay)
	}
}

func (s *EventStream) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// read connects once and delivers events until the stream breaks; seen is
// called with the sequence number of each event delivered. connected
// tells whether the server answered 200.
func (s *EventStream) read(ctx context.Context, c *Client, q EventQuery, after uint64, resume bool, seen func(uint64)) (connected bool, err error) {
	v := url.Values{}
	for _, t := range q.DetailTypes {
		v.Add("detailType", t)
	}
	if q.Resource != "" {
		v.Set("resource", q.Resource)
	}
	if q.Backlog {
		v.Set("follow", "false")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(EventsPath, v), nil)
	if err != nil {
		return false, fmt.Errorf("open the event stream: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if resume {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(after, 10))
	}
	resp, err := c.do(ctx, req, nil)
	if err != nil {
		return false, fmt.Errorf("open the event stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return false, fmt.Errorf("open the event stream: %w", decodeError(resp, b))
	}
	err = readSSE(resp.Body, func(id, _ string, data []byte) error {
		seq, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return fmt.Errorf("event ID %q is not a sequence number", id)
		}
		ev := Event{Seq: seq, Raw: json.RawMessage(data)}
		if err := json.Unmarshal(data, &ev.Envelope); err != nil {
			return fmt.Errorf("decode event %d: %w", seq, err)
		}
		select {
		case s.events <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
		seen(seq)
		return nil
	})
	if err == nil && q.Backlog {
		return true, io.EOF // the server sent the backlog asked for
	}
	if err == nil {
		err = io.ErrUnexpectedEOF // the server ended the stream: it is going away
	}
	return true, fmt.Errorf("read the event stream: %w", err)
}

// readSSE parses a Server-Sent Events stream, calling fn with the ID,
// type and data of each event that has data. Comments and retry fields
// are skipped; the ID carries over to later events as the protocol says.
// It returns nil at the end of r, or the first error of r or fn.
func readSSE(r io.Reader, fn func(id, typ string, data []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var id, typ string
	var data []byte
	hasData := false
	for {
		line, err := br.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			if err == io.EOF {
				return nil
			}
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if hasData {
				if err := fn(id, typ, data); err != nil {
					return err
				}
			}
			typ, data, hasData = "", nil, false
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			typ = value
		case "data":
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
		}
	}
}
