module tuneforge/gotemplate

go 1.19
