package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// ecsCall sends one ECS operation as a plain JSON POST and decodes the
// answer; err is set for a transport error or any status but 200.
func ecsCall(c *http.Client, s *server, op string, req any) (map[string]any, error) {
	b, _ := json.Marshal(req)
	r, _ := http.NewRequest(http.MethodPost, s.url()+"/", bytes.NewReader(b))
	r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := c.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", op, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("%s: %s: %v", op, resp.Status, out)
	}
	return out, nil
}

// TestAcknowledgedCallsSurviveKill9 proves that an acknowledged call is
// durable: writers register task definitions and create services as fast
// as they can, the control plane is killed with SIGKILL in the middle,
// and after the restart every call that was answered 200 is there, and
// so is the event each created service emitted (written in the same
// transaction). Calls cut off by the kill may or may not have happened;
// nothing else is asked of them.
func TestAcknowledgedCallsSurviveKill9(t *testing.T) {
	s := startServer(t)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")

	const writers = 8
	var (
		mu       sync.Mutex
		revs     []string // acknowledged family:revision
		services []string // acknowledged service ARNs
		failed   int      // calls without an answer
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				family := fmt.Sprintf("durable-%d", w)
				out, err := ecsCall(client, s, "RegisterTaskDefinition", map[string]any{
					"family": family,
					"containerDefinitions": []any{map[string]any{
						"name": "app", "image": "example/app", "essential": true, "memory": 64,
						"environment": []any{map[string]string{"name": "N", "value": fmt.Sprint(i)}},
					}},
				})
				mu.Lock()
				if err != nil {
					failed++
					mu.Unlock()
					time.Sleep(10 * time.Millisecond) // the server is down: do not spin
					continue
				}
				rev := fmt.Sprintf("%s:%v", family, path(out, "taskDefinition", "revision"))
				revs = append(revs, rev)
				mu.Unlock()
				if i%4 != 0 {
					continue
				}
				out, err = ecsCall(client, s, "CreateService", map[string]any{
					"cluster": "demo", "serviceName": fmt.Sprintf("svc-%d-%d", w, i),
					"taskDefinition": rev, "desiredCount": 0,
				})
				mu.Lock()
				if err != nil {
					failed++
				} else {
					services = append(services, path(out, "service", "serviceArn").(string))
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(2 * time.Second)
	s.kill9()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	s.start()
	t.Logf("%d task definition revisions and %d services acknowledged before the kill, %d calls cut off",
		len(revs), len(services), failed)
	if len(revs) < writers || len(services) == 0 {
		t.Fatalf("too few acknowledged calls (%d revisions, %d services) to prove anything", len(revs), len(services))
	}

	for _, rev := range revs {
		if _, err := ecsCall(client, s, "DescribeTaskDefinition", map[string]any{"taskDefinition": rev}); err != nil {
			t.Errorf("acknowledged task definition %s is lost: %v", rev, err)
		}
	}
	for i := 0; i < len(services); i += 10 {
		batch := services[i:min(i+10, len(services))]
		out, err := ecsCall(client, s, "DescribeServices", map[string]any{"cluster": "demo", "services": batch})
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := out["failures"].([]any); len(f) > 0 {
			t.Errorf("acknowledged services are lost: %v", f)
		}
	}

	// Every acknowledged CreateService emitted its audit record event:
	// the stream (without follow) ends early, and fails, if one is lost.
	want := map[string]bool{}
	for _, arn := range services {
		want[arn] = true
	}
	readEvents(t, s.url()+"/cutover/v1/events?after=0&follow=false&detailType=Cutover+Audit+Record", "", func(evs []sseEvent) bool {
		e := evs[len(evs)-1]
		if e.env.DetailType == "Cutover Audit Record" && e.detail("action") == "CreateService" {
			delete(want, e.detail("serviceArn"))
		}
		return len(want) == 0
	})
}
