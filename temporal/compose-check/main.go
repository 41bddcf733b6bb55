// Command compose-check loads docker-compose.yml with compose-spec's own loader (compose-go, the library
// Docker Compose uses) and fails on anything it refuses: schema errors, bad interpolation, unknown keys.
// It also checks what clientsync's README promises of the worker service. No Docker engine is needed.
//
//	go run . ../../docker-compose.yml ../../.env.example
package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	file, envFile := "docker-compose.yml", ".env.example"
	if len(os.Args) > 1 {
		file = os.Args[1]
	}
	if len(os.Args) > 2 {
		envFile = os.Args[2]
	}
	project, err := load(file, envFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "compose-check: %s: %v\n", file, err)
		os.Exit(1)
	}
	if problems := checkWorker(project); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(os.Stderr, "compose-check: %s: %s\n", file, p)
		}
		os.Exit(1)
	}
	names := project.ServiceNames()
	sort.Strings(names)
	fmt.Printf("%s: valid (compose-spec loader); services %v\n", file, names)
}

func load(file, envFile string) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithName("clientsync"),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, err
	}
	return cli.ProjectFromOptions(context.Background(), opts)
}

// checkWorker: the worker is built from the repo's Dockerfile, can be scaled, and gets its settings from .env.
func checkWorker(p *types.Project) []string {
	w, err := p.GetService("worker")
	if err != nil {
		return []string{"no worker service"}
	}
	var problems []string
	if w.Build == nil || w.Build.Dockerfile == "" {
		problems = append(problems, "the worker service is not built from a Dockerfile")
	}
	if w.ContainerName != "" {
		problems = append(problems, "the worker service sets container_name, so it cannot be scaled with --scale worker=N")
	}
	for _, key := range []string{"TEMPORAL_ADDRESS", "RESULTS_DATABASE_URL", "CLIENTSYNC_SEAL_KEY"} {
		if v, ok := w.Environment[key]; !ok || v == nil || *v == "" {
			problems = append(problems, fmt.Sprintf("the worker service gets no %s", key))
		}
	}
	return problems
}
