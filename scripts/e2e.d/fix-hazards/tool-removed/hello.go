package main

import "fmt"

func main() { fmt.Println("tool-removed-ok") }
