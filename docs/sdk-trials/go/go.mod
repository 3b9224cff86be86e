module suno-mockkit/sdk-trials/kie-go

go 1.23.12

require github.com/lpg-it/kie-go v1.0.4

// The Go module proxy is not reachable from the trial machine: point this at a checkout of
// github.com/lpg-it/kie-go at tag v1.0.4 (see ../README.md). Delete the line where `go get` works.
replace github.com/lpg-it/kie-go => ./kie-go
