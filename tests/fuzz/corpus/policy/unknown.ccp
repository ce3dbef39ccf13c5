policy "bad" version 1
rule r "m" {
  every gpu (mesres = "x")
}
