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

// MaxWeight is the largest ELBv2 target group weight.
const MaxWeight = 999

// percentWeights returns the weights that send pct percent of a rule's
// traffic to group to and the rest to group from. Percentages are kept
// to a tenth: to gets round(pct×10) and from the rest of 1000, so that
// 5% is 50/950 and 0.1% is 1/999; all of it is 999/0 (ELBv2 weights stop
// at 999).
func percentWeights(to, from string, pct float64) map[string]int {
	w := int(math.Round(pct * 10))
	if from == "" || to == from || w >= 1000 {
		m := map[string]int{to: MaxWeight}
		if from != "" && from != to {
			m[from] = 0
		}
		return m
	}
	w = max(w, 0)
	return map[string]int{to: w, from: min(1000-w, MaxWeight)}
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
