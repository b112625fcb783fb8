package cli

//go:generate go run ./gendoc -out ../../docs/cli
