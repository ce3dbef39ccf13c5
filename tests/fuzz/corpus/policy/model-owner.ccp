# owner
policy "model-owner" version 3

rule overall "GPU attestation must pass" {
  x-nvidia-overall-att-result
}

rule gpus "every GPU must be genuine and measured" {
  every gpu (
    x-nvidia-gpu-attestation-report-signature-verified
    and measres in {"success", "not-checked"}
    and x-nvidia-gpu-driver-version >= "550.54.15"
  )
}
