// Command sqlite-prepare readies a SQLite file for the Temporal server before the server starts, as the
// Temporal CLI's dev server does: the schema in a new file, then the namespace with its search attributes.
// The server then answers with the namespace already there, so nothing that connects early is refused.
//
//	sqlite-prepare -db FILE -namespace default -retention 72h -search-attribute Name=Keyword ...
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

type attributes map[string]enumspb.IndexedValueType

func (a attributes) String() string { return fmt.Sprint(map[string]enumspb.IndexedValueType(a)) }

func (a attributes) Set(v string) error {
	name, kind, ok := strings.Cut(v, "=")
	t, known := enumspb.IndexedValueType_shorthandValue[kind]
	if !ok || !known {
		return fmt.Errorf("want Name=Type (Keyword, Int, Datetime, …), not %q", v)
	}
	a[name] = enumspb.IndexedValueType(t)
	return nil
}

func main() {
	db := flag.String("db", "", "the SQLite file")
	namespace := flag.String("namespace", "default", "the namespace to create if missing")
	retention := flag.Duration("retention", 72*time.Hour, "how long closed workflows are kept")
	searchAttributes := attributes{}
	flag.Var(searchAttributes, "search-attribute", "a custom search attribute, Name=Type (repeatable)")
	flag.Parse()
	if err := prepare(*db, *namespace, *retention, searchAttributes); err != nil {
		fmt.Fprintln(os.Stderr, "sqlite-prepare:", err)
		os.Exit(1)
	}
}

func prepare(file, namespace string, retention time.Duration, searchAttributes attributes) error {
	if file == "" {
		return fmt.Errorf("-db is required")
	}
	cfg := &config.SQL{PluginName: sqlite.PluginName, DatabaseName: file, ConnectAttributes: map[string]string{"cache": "private"}}
	if _, err := os.Stat(file); os.IsNotExist(err) {
		if err := sqliteschema.SetupSchema(cfg); err != nil {
			return fmt.Errorf("setting up the schema: %w", err)
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig("active", namespace, false, searchAttributes)
	if err != nil {
		return err
	}
	ns.Detail.Config.Retention = durationpb.New(retention)
	return sqliteschema.CreateNamespaces(cfg, ns)
}
