// Command gen generates Go types from a botocore service model: every
// structure and enum shape reachable from the inputs and outputs of the
// listed operations. It runs from go:generate, for example in
// internal/ecs:
//
//	go run ../awsmodel/gen -service ecs -out types_gen.go -ops CreateCluster,DescribeClusters
//
// Structures become structs with json tags (and xml tags with -xml),
// enum strings become named string types with one constant per value.
// Numbers, booleans, timestamps and nested structures are pointers;
// timestamps use the type Time, which the target package defines by hand.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cutover/cutover/internal/awsmodel"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run parses the flags and writes the generated file.
func run(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	service := fs.String("service", "", "embedded model to use: ecs, elbv2 or cloudwatch")
	modelPath := fs.String("model", "", "path to a service-2.json(.gz) file, instead of -service")
	out := fs.String("out", "", "output file")
	ops := fs.String("ops", "", "comma-separated operations whose shapes are generated")
	pkg := fs.String("pkg", os.Getenv("GOPACKAGE"), "package name (default: $GOPACKAGE)")
	xmlTags := fs.Bool("xml", false, "add xml tags for the query protocol")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *ops == "" {
		return errors.New("-out and -ops are required")
	}
	model, display, err := loadModel(*service, *modelPath)
	if err != nil {
		return err
	}
	if *pkg == "" {
		abs, err := filepath.Abs(*out)
		if err != nil {
			return fmt.Errorf("resolve output path: %w", err)
		}
		*pkg = filepath.Base(filepath.Dir(abs))
	}
	var opList []string
	for _, op := range strings.Split(*ops, ",") {
		if op = strings.TrimSpace(op); op != "" {
			opList = append(opList, op)
		}
	}
	src, err := generate(config{model: model, service: display, pkg: *pkg, ops: opList, xml: *xmlTags})
	if err != nil {
		return fmt.Errorf("generate %s: %w", *out, err)
	}
	return writeFile(*out, src)
}

// loadModel returns the model to generate from and its display name.
func loadModel(service, path string) (*awsmodel.Model, string, error) {
	switch {
	case path != "":
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("read model: %w", err)
		}
		m, err := awsmodel.Parse(data)
		if err != nil {
			return nil, "", fmt.Errorf("parse model %s: %w", path, err)
		}
		return m, m.Metadata.ServiceID, nil
	case service == "ecs":
		return awsmodel.ECS(), "ECS", nil
	case service == "elbv2":
		return awsmodel.ELBv2(), "ELBv2", nil
	case service == "cloudwatch":
		return awsmodel.CloudWatch(), "CloudWatch", nil
	default:
		return nil, "", fmt.Errorf("unknown -service %q: want ecs, elbv2 or cloudwatch, or use -model", service)
	}
}

// writeFile replaces path with data through a temporary file and a rename.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
