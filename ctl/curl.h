/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztbondctl: libcurl, loaded when a command needs HTTP (zt).
 */
#ifndef ZTB_CURL_H
#define ZTB_CURL_H

#include <stddef.h>
#include <curl/curl.h>

/* The libcurl functions zt uses, resolved by ztb_curl_load(). */
struct ztb_curl {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	void (*easy_cleanup)(CURL *c);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

extern struct ztb_curl ztb_curl;

/* 0, or -1 with the reason in err. */
int ztb_curl_load(char *err, size_t errlen);

#endif
