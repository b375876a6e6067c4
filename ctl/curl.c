// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl: libcurl, loaded with dlopen() when a command needs HTTP.
 *
 * Only "zt" talks HTTP (zerotier-one's local API, ZeroTier Central). Linked
 * at build time, libcurl and the thirty-odd libraries it pulls in (TLS,
 * GSSAPI, LDAP, SSH, HTTP/2, IDN, ...) were loaded and relocated by every
 * "bond show" too: a third of a second a call in a QEMU TCG guest, three
 * times ip(8)'s start-up, paid thousands of times by a test run or a
 * monitoring script. Loaded on demand, the other commands start with
 * libnl and json-c only, and a system without libcurl can still manage
 * its bonds.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "curl.h"

struct ztb_curl ztb_curl;

int ztb_curl_load(char *err, size_t errlen)
{
	/* Debian's libcurl4 (OpenSSL), else libcurl3-gnutls: the same API */
	static const char *const names[] = {
		"libcurl.so.4", "libcurl-gnutls.so.4",
	};
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define ZTB_SYM(f) { "curl_" #f, offsetof(struct ztb_curl, f) }
		ZTB_SYM(global_init), ZTB_SYM(global_cleanup),
		ZTB_SYM(easy_init), ZTB_SYM(easy_setopt),
		ZTB_SYM(easy_perform), ZTB_SYM(easy_getinfo),
		ZTB_SYM(easy_strerror), ZTB_SYM(easy_cleanup),
		ZTB_SYM(slist_append), ZTB_SYM(slist_free_all),
#undef ZTB_SYM
	};
	static void *lib;
	unsigned int i;
	void *f;

	if (lib)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !lib; i++)
		lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, errlen, "cannot load libcurl (%s): install libcurl4",
			 dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		f = dlsym(lib, syms[i].name);
		if (!f) {
			snprintf(err, errlen, "libcurl lacks %s", syms[i].name);
			dlclose(lib);
			lib = NULL;
			return -1;
		}
		*(void **)((char *)&ztb_curl + syms[i].off) = f;
	}
	return 0;
}
