/* SPDX-License-Identifier: Apache-2.0 */
/* /dev/sev-guest (SNP_GET_REPORT) and /dev/tdx_guest (TDX_CMD_GET_REPORT0). */
#include <errno.h>
#include <fcntl.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/cursor.h"
#include "common/error.h"
#include "tee_guest/collect.h"

/* Linux UAPI <linux/sev-guest.h> */
struct ccg_snp_report_req {
	__u8 user_data[64];
	__u32 vmpl;
	__u8 rsvd[28];
};
struct ccg_snp_report_resp {
	__u8 data[4000];
};
struct ccg_snp_guest_request_ioctl {
	__u8 msg_version;
	__u64 req_data;
	__u64 resp_data;
	__u64 exitinfo2;
};
#define CCG_SNP_GET_REPORT _IOWR('S', 0x0, struct ccg_snp_guest_request_ioctl)

/* Linux UAPI <linux/tdx-guest.h> */
struct ccg_tdx_report_req {
	__u8 reportdata[64];
	__u8 tdreport[1024];
};
#define CCG_TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct ccg_tdx_report_req)

static enum ccg_status open_dev(const char *dev, const char *where, int *fd, struct ccg_error *err)
{
	*fd = open(dev, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return ccg_error_set(err, errno == ENOENT ? CCG_ERR_NOT_FOUND : CCG_ERR_IO, where, "%s: %s", dev,
				     strerror(errno));
	return CCG_OK;
}

enum ccg_status ccg_sev_guest_report(const char *dev, const uint8_t report_data[64], uint32_t vmpl, uint8_t out[1184],
				     struct ccg_error *err)
{
	struct ccg_snp_report_req req;
	struct ccg_snp_report_resp resp;
	struct ccg_snp_guest_request_ioctl io;
	struct ccg_cursor c;
	uint32_t status, size;
	int fd = -1;
	enum ccg_status st;

	if (dev == NULL)
		dev = "/dev/sev-guest";
	if ((st = open_dev(dev, "sev-guest", &fd, err)) != CCG_OK)
		return st;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	memset(&io, 0, sizeof(io));
	memcpy(req.user_data, report_data, 64);
	req.vmpl = vmpl;
	io.msg_version = 1;
	io.req_data = (__u64)(uintptr_t)&req;
	io.resp_data = (__u64)(uintptr_t)&resp;
	if (ioctl(fd, CCG_SNP_GET_REPORT, &io) != 0) {
		st = ccg_error_set(err, CCG_ERR_IO, "sev-guest.SNP_GET_REPORT", "%s (firmware error 0x%llx)",
				   strerror(errno), (unsigned long long)io.exitinfo2);
		goto out;
	}
	/* MSG_REPORT_RSP: status, report_size, reserved[24], report */
	ccg_cursor_init(&c, resp.data, sizeof(resp.data));
	if (!ccg_cursor_get_u32le(&c, &status) || !ccg_cursor_get_u32le(&c, &size) || !ccg_cursor_skip(&c, 24)) {
		st = ccg_error_set(err, CCG_ERR_TRUNCATED, "sev-guest.response", NULL);
		goto out;
	}
	if (status != 0 || size != 1184 || !ccg_cursor_copy_bytes(&c, out, 1184)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "sev-guest.response", "status %u, report of %u bytes",
				   status, size);
		goto out;
	}
out:
	close(fd);
	return st;
}

enum ccg_status ccg_tdx_guest_report(const char *dev, const uint8_t report_data[64], uint8_t out[1024],
				     struct ccg_error *err)
{
	struct ccg_tdx_report_req req;
	int fd = -1;
	enum ccg_status st;

	if (dev == NULL)
		dev = "/dev/tdx_guest";
	if ((st = open_dev(dev, "tdx_guest", &fd, err)) != CCG_OK)
		return st;
	memset(&req, 0, sizeof(req));
	memcpy(req.reportdata, report_data, 64);
	if (ioctl(fd, CCG_TDX_CMD_GET_REPORT0, &req) != 0)
		st = ccg_error_set(err, CCG_ERR_IO, "tdx_guest.TDX_CMD_GET_REPORT0", "%s", strerror(errno));
	else
		memcpy(out, req.tdreport, sizeof(req.tdreport));
	close(fd);
	return st;
}
