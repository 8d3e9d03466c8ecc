package ecsapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// How many hooks of each kind a service may have.
const (
	maxPauseHooks  = 10
	maxLambdaHooks = 10
)

// lambdaARN matches a Lambda function ARN, optionally qualified.
var lambdaARN = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)

// The lifecycle stages each strategy runs hooks at (BLUE_GREEN's for
// LINEAR and CANARY too), and the ones a pause hook may not use (traffic
// is moving there).
var (
	rollingHookStages = []ecs.DeploymentLifecycleHookStage{
		ecs.DeploymentLifecycleHookStageReconcileService, ecs.DeploymentLifecycleHookStagePreScaleUp,
		ecs.DeploymentLifecycleHookStagePostScaleUp,
	}
	shiftHookStages = []ecs.DeploymentLifecycleHookStage{
		ecs.DeploymentLifecycleHookStageReconcileService, ecs.DeploymentLifecycleHookStagePreScaleUp,
		ecs.DeploymentLifecycleHookStagePostScaleUp, ecs.DeploymentLifecycleHookStageTestTrafficShift,
		ecs.DeploymentLifecycleHookStagePostTestTrafficShift, ecs.DeploymentLifecycleHookStagePreProductionTrafficShift,
		ecs.DeploymentLifecycleHookStageProductionTrafficShift, ecs.DeploymentLifecycleHookStagePostProductionTrafficShift,
	}
	noPauseStages = []ecs.DeploymentLifecycleHookStage{
		ecs.DeploymentLifecycleHookStageTestTrafficShift, ecs.DeploymentLifecycleHookStageProductionTrafficShift,
	}
)

// checkHooks validates a deployment configuration's lifecycle hooks. A
// Lambda hook's hookTargetArn is a Lambda function ARN (invoked through
// the Lambda Invoke API, or run as a local command the server's config
// names) or, beyond ECS, an http(s) URL the event is posted to.
func checkHooks(cfg *ecs.DeploymentConfiguration) error {
	pauses, lambdas := 0, 0
	for i, h := range cfg.LifecycleHooks {
		pause := false
		switch h.TargetType {
		case ecs.DeploymentLifecycleHookTargetTypePause:
			if h.HookTargetArn != "" || h.RoleArn != "" {
				return invalidParam("lifecycleHooks[%d]: a PAUSE hook takes no hookTargetArn or roleArn.", i)
			}
			pause = true
			pauses++
		case "", ecs.DeploymentLifecycleHookTargetTypeAwsLambda:
			if err := checkHookTarget(h.HookTargetArn); err != nil {
				return invalidParam("lifecycleHooks[%d]: %s.", i, err)
			}
			lambdas++
		default:
			return invalidParam("lifecycleHooks[%d]: unknown targetType %s.", i, h.TargetType)
		}
		if len(h.LifecycleStages) == 0 {
			return invalidParam("lifecycleHooks[%d]: lifecycleStages must name at least one stage.", i)
		}
		allowed := rollingHookStages
		if deploy.ShiftsTraffic(cfg.Strategy) {
			allowed = shiftHookStages
		}
		for _, st := range h.LifecycleStages {
			if pause && slices.Contains(noPauseStages, st) {
				return invalidParam("lifecycleHooks[%d]: a PAUSE hook cannot run at %s: traffic is moving there.", i, st)
			}
			if !slices.Contains(allowed, st) {
				return invalidParam("lifecycleHooks[%d]: a %s deployment has no hooks at %s.", i, cfg.Strategy, st)
			}
		}
		if tc := h.TimeoutConfiguration; tc != nil && tc.TimeoutInMinutes != nil &&
			(*tc.TimeoutInMinutes < 1 || *tc.TimeoutInMinutes > deploy.MaxHookTimeoutMinutes) {
			return invalidParam("lifecycleHooks[%d]: timeoutInMinutes must be between 1 and %d.", i, deploy.MaxHookTimeoutMinutes)
		}
	}
	if pauses > maxPauseHooks {
		return invalidParam("A service can have at most %d pause hooks.", maxPauseHooks)
	}
	if lambdas > maxLambdaHooks {
		return invalidParam("A service can have at most %d Lambda hooks.", maxLambdaHooks)
	}
	return nil
}

// checkHookTarget validates an invoked hook's hookTargetArn.
func checkHookTarget(target string) error {
	if target == "" {
		return errors.New("an AWS_LAMBDA hook needs a hookTargetArn")
	}
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return fmt.Errorf("hookTargetArn %q is not a valid URL", target)
		}
		return nil
	}
	if !lambdaARN.MatchString(target) {
		return fmt.Errorf("hookTargetArn %q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME) or an http(s) URL", target)
	}
	return nil
}

func (a *API) continueServiceDeployment(ctx context.Context, req *ecs.ContinueServiceDeploymentRequest) (*ecs.ContinueServiceDeploymentResponse, error) {
	action := req.Action
	if action == "" {
		action = ecs.DeploymentLifecycleHookActionContinue
	}
	var service string
	err := a.writeService(ctx, &service, func(tx state.Tx) error {
		d, err := tx.Deployment(req.ServiceDeploymentArn)
		if errors.Is(err, store.ErrNotFound) {
			return errServiceDeploymentNotFound
		}
		if err != nil {
			return err
		}
		service = d.ServiceArn
		err = d.Resolve(req.HookId, action, a.now())
		switch {
		case errors.Is(err, deploy.ErrHookNotFound):
			return invalidParam("The service deployment has no lifecycle hook %s.", req.HookId)
		case errors.Is(err, deploy.ErrHookNotAwaiting):
			return clientErr("The lifecycle hook %s is not awaiting an action: it was resolved, it expired, or the deployment has moved on.", req.HookId)
		case err != nil:
			return err
		}
		if err := tx.PutDeployment(d); err != nil {
			return err
		}
		return a.record(ctx, tx, cutoverapi.AuditRecord{
			Action: cutoverapi.ActionContinue, ServiceArn: d.ServiceArn, ServiceDeploymentArn: d.Arn,
			HookID: req.HookId, Detail: string(action),
		})
	})
	if err != nil {
		return nil, err
	}
	return &ecs.ContinueServiceDeploymentResponse{ServiceDeploymentArn: req.ServiceDeploymentArn}, nil
}

// hookDetails renders the hook runs of a deployment's current stage.
func hookDetails(d *deploy.Deployment) []ecs.DeploymentLifecycleHookDetail {
	var out []ecs.DeploymentLifecycleHookDetail
	for _, h := range d.StageHooks() {
		out = append(out, ecs.DeploymentLifecycleHookDetail{
			HookId: h.ID, TargetType: h.TargetType, TargetArn: h.TargetArn, Status: h.Status,
			ExpiresAt: ecs.TimeOf(h.ExpiresAt), TimeoutAction: h.TimeoutAction,
		})
	}
	return out
}
