package process

import (
	"fmt"

	"github.com/cutover/cutover/internal/runtime"
)

// validateSpec checks that the process driver can run spec: what every
// driver requires, and a command for each container. Every error it
// returns wraps runtime.ErrInvalidSpec.
func validateSpec(spec runtime.TaskSpec) error {
	if err := runtime.Validate(spec); err != nil {
		return err
	}
	for _, c := range spec.Containers {
		if argv := c.Argv(); len(argv) == 0 || argv[0] == "" {
			return fmt.Errorf("%w: container %q: empty command", runtime.ErrInvalidSpec, c.Name)
		}
	}
	return nil
}
