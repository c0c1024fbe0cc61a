[inputs: ["mix.exs", ".formatter.exs", "{lib,test,bin}/**/*.{ex,exs}"], line_length: 100]
