package deploy

import "math"

// Traffic is what the engine knows of a service's load balancer routing:
// the listener rules it shifts and where each revision's tasks register.
type Traffic struct {
	// ProductionRule and TestRule are listener rule ARNs; TestRule may be
	// empty.
	ProductionRule string
	TestRule       string
	// TargetGroups maps each revision taking part in the deployment to
	// the target group its tasks register in.
	TargetGroups map[string]string
	// Live is what the data plane serves now: per rule ARN, the weight of
	// each target group of the rule's forward action.
	Live map[string]map[string]int
}

// RuleWeights asks for a listener rule's forward action to get weights.
type RuleWeights struct {
	Rule    string
	Weights map[string]int
}

// MaxWeight is the ELBv2 weight that stands for 100% of the traffic.
// Percentages map onto 0–MaxWeight, rounded to the nearest integer, so
// that small canary percentages keep their precision (0.1% → 1).
const MaxWeight = 999

// percentWeights returns the weights that send pct percent of a rule's
// traffic to group to and the rest to group from.
func percentWeights(to, from string, pct float64) map[string]int {
	w := int(math.Round(pct / 100 * MaxWeight))
	w = min(max(w, 0), MaxWeight)
	if from == "" || to == from {
		return map[string]int{to: MaxWeight}
	}
	return map[string]int{to: w, from: MaxWeight - w}
}

// sameWeights reports whether the live weights of a rule are the wanted
// ones (target groups missing from live count as weight 0).
func sameWeights(live, want map[string]int) bool {
	for tg, w := range want {
		if live[tg] != w {
			return false
		}
	}
	for tg, w := range live {
		if _, ok := want[tg]; !ok && w != 0 {
			return false
		}
	}
	return true
}
