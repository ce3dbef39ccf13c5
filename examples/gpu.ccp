# An example policy for evaluate_policy: the GPU attestation passed, on a recent driver.
policy "example" version 1

rule overall "GPU attestation must pass" {
  x-nvidia-overall-att-result
}

rule driver "every GPU driver must be at least 550.54.15" {
  every gpu (x-nvidia-gpu-driver-version >= "550.54.15")
}
