module add-header-filter

go 1.21

require github.com/tetratelabs/proxy-wasm-go-sdk v0.24.0
