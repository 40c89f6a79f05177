// Command ferretdb runs an embedded FerretDB v1 (SQLite or PostgreSQL handler) for the tests.
//
// `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that panics at
// start (its build/version/version.txt is generated and absent from the module), so the tests use
// this small program instead, which embeds the `ferretdb` package.
//
// Usage:
//
//	ferretdb -listen 127.0.0.1:27017 (-sqlite-dir /tmp/data | -postgresql-url postgres://HOST:5432/DB) [-log-level warn]
//
// Once the TCP listener is bound, it prints one line to stdout:
//
//	ferretdb listening on 127.0.0.1:27017
//
// SIGINT or SIGTERM stops it: open connections get up to 3 s to finish, then it exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "", "TCP address to listen on, e.g. 127.0.0.1:27017 (required)")
	sqliteDir := flag.String("sqlite-dir", "", "folder for the SQLite handler's database files")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL handler instead of SQLite, e.g. postgres://127.0.0.1:5432/test")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error (logs go to stderr)")
	flag.Parse()

	if err := run(*listen, *sqliteDir, *postgresqlURL, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(listen, sqliteDir, postgresqlURL, logLevel string) error {
	if listen == "" {
		return fmt.Errorf("-listen is required (e.g. -listen 127.0.0.1:27017)")
	}
	if (sqliteDir == "") == (postgresqlURL == "") {
		return fmt.Errorf("give exactly one of -sqlite-dir and -postgresql-url")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}

	config := ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: listen}}
	if postgresqlURL != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = postgresqlURL
	} else {
		dir, err := filepath.Abs(sqliteDir)
		if err != nil {
			return fmt.Errorf("-sqlite-dir: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("-sqlite-dir: %w", err)
		}
		config.Handler = "sqlite"
		config.SQLiteURL = "file:" + strings.TrimSuffix(dir, "/") + "/"
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// New binds the listeners (clientconn.Listen calls net.Listen), so the port accepts connections
	// as soon as it returns; Run starts the accept loop.
	config.Logger = logger
	f, err := ferretdb.New(&config)
	if err != nil {
		return err
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// MongoDBURI waits for the TCP listener to be ready, then gives mongodb://HOST:PORT/.
	addr := strings.TrimSuffix(strings.TrimPrefix(f.MongoDBURI(), "mongodb://"), "/")
	fmt.Printf("ferretdb listening on %s\n", addr)

	return <-done
}
