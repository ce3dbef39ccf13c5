policy "p" version 1
rule r "esc\"ape\n" { ((((x-nvidia-overall-att-result)))) }
