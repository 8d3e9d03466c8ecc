package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestBadInputGetsAWSErrors(t *testing.T) {
	s := startServer(t)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")

	cli := []struct {
		args []string
		want string
	}{
		{[]string{"ecs", "describe-services", "--cluster", "nope", "--services", "web"}, "ClusterNotFoundException"},
		{[]string{"ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "missing:7"}, "InvalidParameterException"},
		{[]string{"ecs", "update-service", "--cluster", "demo", "--service", "nope", "--desired-count", "1"}, "ServiceNotFoundException"},
		{[]string{"ecs", "describe-task-definition", "--task-definition", "missing"}, "ClientException"},
		{[]string{"ecs", "list-clusters", "--max-results", "1000"}, "InvalidParameterException"},
		{[]string{"ecs", "stop-service-deployment", "--service-deployment-arn", "arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/nope"}, "ServiceDeploymentNotFoundException"},
	}
	for _, c := range cli {
		_, err := s.aws(c.args...)
		var ae *awsErr
		if !errors.As(err, &ae) || !strings.Contains(ae.stderr, c.want) {
			t.Errorf("aws %s: %v, want %s", strings.Join(c.args, " "), err, c.want)
		}
	}

	raw := []struct {
		name, target, body string
		status             int
		want               string
	}{
		{"malformed JSON", "CreateCluster", `{"clusterName": `, 400, "SerializationException"},
		{"wrong type", "CreateService", `{"serviceName": "web", "desiredCount": "two"}`, 400, "SerializationException"},
		{"missing required member", "UpdateService", `{"cluster": "demo"}`, 400, "InvalidParameterException"},
		{"enum out of range", "ListTasks", `{"cluster": "demo", "desiredStatus": "SLEEPING"}`, 400, "InvalidParameterException"},
		{"unknown operation", "LaunchRockets", `{}`, 400, "UnknownOperationException"},
	}
	for _, c := range raw {
		req, _ := http.NewRequest(http.MethodPost, s.url()+"/", strings.NewReader(c.body))
		req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+c.target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.status || body["__type"] != c.want || body["message"] == "" {
			t.Errorf("%s: %d %v, want %d %s with a message", c.name, resp.StatusCode, body, c.status, c.want)
		}
	}
}
