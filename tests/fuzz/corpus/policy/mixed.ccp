policy "mixed" version 1
rule t "time" { every gpu (x-nvidia-gpu-attestation-report-cert-chain.x-nvidia-cert-expiration-date > now) }
rule o "or" { (x-nvidia-overall-att-result or ccgpu-gpu-count > 3) and not (ccgpu-gpu-count == 0) }
rule d "digest" { eat_nonce == "00FF" and not exists snp-measurement }
rule s "some" { some gpu ("550.54.16" > x-nvidia-gpu-driver-version and secboot == true) }
rule n "sets" { ccgpu-cpu-tee not in {"none", "snp"} or iat >= 3 }
