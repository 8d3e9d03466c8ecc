package state

import (
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// taskDetail is a task as an ECS Task State Change shows it: the API's
// Task, with RFC 3339 strings instead of epoch seconds for timestamps,
// plus when it was updated. Its fields shadow the embedded ones of the
// same JSON name.
type taskDetail struct {
	ecs.Task
	ConnectivityAt     *detailTime       `json:"connectivityAt,omitempty"`
	CreatedAt          *detailTime       `json:"createdAt,omitempty"`
	ExecutionStoppedAt *detailTime       `json:"executionStoppedAt,omitempty"`
	PullStartedAt      *detailTime       `json:"pullStartedAt,omitempty"`
	PullStoppedAt      *detailTime       `json:"pullStoppedAt,omitempty"`
	StartedAt          *detailTime       `json:"startedAt,omitempty"`
	StoppedAt          *detailTime       `json:"stoppedAt,omitempty"`
	StoppingAt         *detailTime       `json:"stoppingAt,omitempty"`
	Containers         []containerDetail `json:"containers,omitempty"`
	UpdatedAt          detailTime        `json:"updatedAt"`
}

// containerDetail is a container of a taskDetail: its only timestamps
// are those of its managed agents.
type containerDetail struct {
	ecs.Container
	ManagedAgents []managedAgentDetail `json:"managedAgents,omitempty"`
}

type managedAgentDetail struct {
	ecs.ManagedAgent
	LastStartedAt *detailTime `json:"lastStartedAt,omitempty"`
}

// detailTime is a timestamp that encodes as eventTime does.
type detailTime time.Time

// MarshalJSON implements json.Marshaler.
func (d detailTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + eventTime(time.Time(d)) + `"`), nil
}

func toDetailTime(t *ecs.Time) *detailTime {
	if t == nil {
		return nil
	}
	d := detailTime(t.Time)
	return &d
}

func newTaskDetail(tk *ecs.Task, updated time.Time) taskDetail {
	d := taskDetail{
		Task:               *tk,
		ConnectivityAt:     toDetailTime(tk.ConnectivityAt),
		CreatedAt:          toDetailTime(tk.CreatedAt),
		ExecutionStoppedAt: toDetailTime(tk.ExecutionStoppedAt),
		PullStartedAt:      toDetailTime(tk.PullStartedAt),
		PullStoppedAt:      toDetailTime(tk.PullStoppedAt),
		StartedAt:          toDetailTime(tk.StartedAt),
		StoppedAt:          toDetailTime(tk.StoppedAt),
		StoppingAt:         toDetailTime(tk.StoppingAt),
		UpdatedAt:          detailTime(updated),
	}
	for _, c := range tk.Containers {
		cd := containerDetail{Container: c}
		for _, a := range c.ManagedAgents {
			cd.ManagedAgents = append(cd.ManagedAgents, managedAgentDetail{ManagedAgent: a, LastStartedAt: toDetailTime(a.LastStartedAt)})
		}
		d.Containers = append(d.Containers, cd)
	}
	return d
}
