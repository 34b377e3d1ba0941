module workbench

go 1.24.9

require github.com/BurntSushi/toml v1.4.0
