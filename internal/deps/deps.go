package main
import (
 _ "modernc.org/sqlite"
 _ "github.com/jackc/pgx/v5"
 _ "github.com/jackc/pgx/v5/pgxpool"
 _ "github.com/jackc/pgx/v5/stdlib"
 _ "github.com/pressly/goose/v3"
 _ "github.com/pressly/goose/v3/lock"
 _ "github.com/riverqueue/river/rivermigrate"
 _ "github.com/riverqueue/river/riverdriver/riversqlite"
 _ "github.com/riverqueue/river/riverdriver/riverpgxv5"
 _ "github.com/spf13/cobra"
 _ "github.com/goccy/go-yaml"
 _ "github.com/google/uuid"
)
func main(){}
