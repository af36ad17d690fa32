// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "crc.h"
#include "record.h"

#define HDR sizeof(struct bpfam_rec_hdr)

_Static_assert(BPFAM_REC_ENC_MAX <= BPFAM_REC_MAX,
	       "every record must fit BPFAM_REC_MAX");

static size_t align_rec(size_t n)
{
	return (n + BPFAM_REC_ALIGN - 1) & ~(size_t)(BPFAM_REC_ALIGN - 1);
}

static size_t payload_size(const struct bpfam_record *r)
{
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		return sizeof(struct bpfam_rec_mknod) + r->mknod.name_len +
		       r->mknod.target_len;
	case BPFAM_REC_FMAP:
		return sizeof(struct bpfam_rec_fmap) +
		       r->fmap.map.nr * sizeof(struct bpfam_rec_extent);
	case BPFAM_REC_SETATTR:
		return sizeof(struct bpfam_rec_setattr) +
		       (r->setattr.valid & BPFAM_ATTR_EXT ?
				sizeof(struct bpfam_rec_setattr_ext) :
				0);
	case BPFAM_REC_DELETE:
		return sizeof(struct bpfam_rec_delete);
	case BPFAM_REC_RECLAIM:
		return sizeof(struct bpfam_rec_reclaim);
	case BPFAM_REC_RENAME:
		return sizeof(struct bpfam_rec_rename) + r->rename.src_len +
		       r->rename.dst_len;
	case BPFAM_REC_LINK:
	case BPFAM_REC_UNLINK:
		return sizeof(struct bpfam_rec_link) + r->link.name_len;
	case BPFAM_REC_XATTR:
		return sizeof(struct bpfam_rec_xattr) + r->xattr.name_len +
		       r->xattr.value_len;
	}
	return 0;
}

size_t bpfam_record_size(const struct bpfam_record *r)
{
	return align_rec(HDR + payload_size(r));
}

const char *bpfam_record_type_name(unsigned int type)
{
	switch (type) {
	case BPFAM_REC_MKNOD:
		return "mknod";
	case BPFAM_REC_FMAP:
		return "fmap";
	case BPFAM_REC_SETATTR:
		return "setattr";
	case BPFAM_REC_DELETE:
		return "delete";
	case BPFAM_REC_RECLAIM:
		return "reclaim";
	case BPFAM_REC_RENAME:
		return "rename";
	case BPFAM_REC_LINK:
		return "link";
	case BPFAM_REC_UNLINK:
		return "unlink";
	case BPFAM_REC_XATTR:
		return "xattr";
	}
	return "?";
}

static void encode_rename(const struct bpfam_record *r, uint8_t *p)
{
	struct bpfam_rec_rename *rn = (void *)p;
	char *names = (char *)(rn + 1);

	rn->src_parent = htole64(r->rename.src_parent);
	rn->dst_parent = htole64(r->rename.dst_parent);
	rn->ino = htole64(r->rename.ino);
	rn->victim = htole64(r->rename.victim);
	rn->time_ns = htole64(r->rename.time_ns);
	rn->flags = htole32(r->rename.flags);
	rn->src_len = htole16((uint16_t)r->rename.src_len);
	rn->dst_len = htole16((uint16_t)r->rename.dst_len);
	memcpy(names, r->rename.src_name, r->rename.src_len);
	memcpy(names + r->rename.src_len, r->rename.dst_name, r->rename.dst_len);
}

static void encode_xattr(const struct bpfam_record *r, uint8_t *p)
{
	struct bpfam_rec_xattr *x = (void *)p;
	char *name = (char *)(x + 1);

	x->ino = htole64(r->xattr.ino);
	x->time_ns = htole64(r->xattr.time_ns);
	x->flags = htole32(r->xattr.flags);
	x->name_len = htole16((uint16_t)r->xattr.name_len);
	x->value_len = htole32(r->xattr.value_len);
	memcpy(name, r->xattr.name, r->xattr.name_len);
	if (r->xattr.value_len)
		memcpy(name + r->xattr.name_len, r->xattr.value,
		       r->xattr.value_len);
}

static void encode_payload(const struct bpfam_record *r, uint8_t *p)
{
	struct bpfam_rec_mknod *mk = (void *)p;
	struct bpfam_rec_fmap *fm = (void *)p;
	struct bpfam_rec_setattr *sa = (void *)p;
	struct bpfam_rec_setattr_ext *sx = (void *)(sa + 1);
	struct bpfam_rec_delete *del = (void *)p;
	struct bpfam_rec_reclaim *rc = (void *)p;
	struct bpfam_rec_link *ln = (void *)p;
	uint32_t i;

	switch (r->type) {
	case BPFAM_REC_MKNOD:
		mk->ino = htole64(r->mknod.ino);
		mk->parent = htole64(r->mknod.parent);
		mk->mode = htole32(r->mknod.mode);
		mk->uid = htole32(r->mknod.uid);
		mk->gid = htole32(r->mknod.gid);
		mk->name_len = htole32(r->mknod.name_len);
		mk->mtime_ns = htole64(r->mknod.mtime_ns);
		mk->rdev = htole32(r->mknod.rdev);
		mk->target_len = htole32(r->mknod.target_len);
		memcpy(mk + 1, r->mknod.name, r->mknod.name_len);
		memcpy((char *)(mk + 1) + r->mknod.name_len, r->mknod.target,
		       r->mknod.target_len);
		break;
	case BPFAM_REC_FMAP:
		fm->ino = htole64(r->fmap.ino);
		fm->size = htole64(r->fmap.map.size);
		fm->chunk = htole64(r->fmap.map.chunk);
		fm->kind = htole32(r->fmap.map.kind);
		fm->nr = htole32(r->fmap.map.nr);
		for (i = 0; i < r->fmap.map.nr; i++) {
			fm->ext[i].dev_off = htole64(r->fmap.map.ext[i].dev_off);
			fm->ext[i].len = htole64(r->fmap.map.ext[i].len);
			fm->ext[i].dev = htole32(r->fmap.map.ext[i].dev);
		}
		break;
	case BPFAM_REC_SETATTR:
		sa->ino = htole64(r->setattr.ino);
		sa->valid = htole32(r->setattr.valid);
		sa->mode = htole32(r->setattr.mode);
		sa->uid = htole32(r->setattr.uid);
		sa->gid = htole32(r->setattr.gid);
		sa->mtime_ns = htole64(r->setattr.mtime_ns);
		if (!(r->setattr.valid & BPFAM_ATTR_EXT))
			break;
		sx->atime_ns = htole64(r->setattr.atime_ns);
		sx->ctime_ns = htole64(r->setattr.ctime_ns);
		sx->size = htole64(r->setattr.size);
		break;
	case BPFAM_REC_DELETE:
		del->ino = htole64(r->del.ino);
		del->parent = htole64(r->del.parent);
		break;
	case BPFAM_REC_RECLAIM:
		rc->upto = htole64(r->reclaim.upto);
		break;
	case BPFAM_REC_RENAME:
		encode_rename(r, p);
		break;
	case BPFAM_REC_LINK:
	case BPFAM_REC_UNLINK:
		ln->ino = htole64(r->link.ino);
		ln->parent = htole64(r->link.parent);
		ln->time_ns = htole64(r->link.time_ns);
		ln->name_len = htole32(r->link.name_len);
		memcpy(ln + 1, r->link.name, r->link.name_len);
		break;
	case BPFAM_REC_XATTR:
		encode_xattr(r, p);
		break;
	}
}

static uint32_t record_crc(const void *buf, size_t len)
{
	struct bpfam_rec_hdr h;
	uint32_t state;

	/* The CRC covers the header as sealed, with the crc field zero. */
	memcpy(&h, buf, HDR);
	h.magic = htole32(BPFAM_REC_MAGIC);
	h.crc = 0;
	state = bpfam_crc32c_update(BPFAM_CRC_INIT, &h, HDR);
	state = bpfam_crc32c_update(state, (const uint8_t *)buf + HDR,
				    len - HDR);
	return ~state;
}

void bpfam_record_encode(const struct bpfam_record *r, void *buf)
{
	struct bpfam_rec_hdr *h = buf;
	size_t len = bpfam_record_size(r);

	memset(buf, 0, len);
	h->seq = htole64(r->seq);
	h->type = htole16(r->type);
	h->flags = htole16(r->flags);
	h->len = htole32((uint32_t)len);
	encode_payload(r, (uint8_t *)buf + HDR);
	h->crc = htole32(record_crc(buf, len));
}

void bpfam_record_seal(void *buf)
{
	struct bpfam_rec_hdr *h = buf;

	__atomic_store_n(&h->magic, htole32(BPFAM_REC_MAGIC), __ATOMIC_RELEASE);
}

bool bpfam_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > BPFAM_NAME_MAX)
		return false;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return false;
	return !(len == 1 && name[0] == '.') &&
	       !(len == 2 && name[0] == '.' && name[1] == '.');
}

#define BAD(...) bpfam_err(err, EBADMSG, __VA_ARGS__)

/* A name of @len bytes at @p, copied NUL-terminated into @out. */
static bool take_name(const void *p, uint32_t len, char *out)
{
	if (!bpfam_name_valid(p, len))
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static bool mode_known(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		return !(mode & ~(S_IFMT | 07777));
	}
	return false;
}

static int decode_mknod(const uint8_t *p, size_t n, const char *where,
			struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_mknod *mk = (const void *)p;
	const char *name = (const char *)(mk + 1);
	uint32_t name_len, target_len, mode;

	if (n < sizeof(*mk))
		return BAD("%s: mknod payload is %zu bytes, too short", where,
			   n);
	name_len = le32toh(mk->name_len);
	target_len = le32toh(mk->target_len);
	if (name_len > n - sizeof(*mk) ||
	    target_len > n - sizeof(*mk) - name_len)
		return BAD("%s: mknod name (%u bytes) and target (%u bytes) overrun the record",
			   where, name_len, target_len);
	r->mknod.ino = le64toh(mk->ino);
	r->mknod.parent = le64toh(mk->parent);
	r->mknod.mode = mode = le32toh(mk->mode);
	r->mknod.uid = le32toh(mk->uid);
	r->mknod.gid = le32toh(mk->gid);
	r->mknod.mtime_ns = le64toh(mk->mtime_ns);
	r->mknod.rdev = le32toh(mk->rdev);
	r->mknod.name_len = name_len;
	r->mknod.target_len = target_len;
	if (!take_name(name, name_len, r->mknod.name))
		return BAD("%s: mknod of inode %llu: invalid name (length %u)",
			   where, (unsigned long long)r->mknod.ino, name_len);
	if (!mode_known(mode))
		return BAD("%s: mknod of '%s': mode 0%o is not a known file type with permission bits",
			   where, r->mknod.name, mode);
	if (r->mknod.rdev && !S_ISCHR(mode) && !S_ISBLK(mode))
		return BAD("%s: mknod of '%s': a device number for a mode 0%o",
			   where, r->mknod.name, mode);
	if (S_ISLNK(mode) ? !target_len || target_len >= BPFAM_PATH_MAX ||
				    memchr(name + name_len, '\0', target_len) :
			    target_len != 0)
		return BAD("%s: mknod of '%s': a target of %u bytes for a mode 0%o",
			   where, r->mknod.name, target_len, mode);
	memcpy(r->mknod.target, name + name_len, target_len);
	r->mknod.target[target_len] = '\0';
	return 0;
}

static int check_extent(const struct bpfam_extent *e, uint32_t i,
			const char *where, uint64_t ino, struct bpfam_err *err)
{
	if (e->dev >= BPFAM_MAX_DEVS)
		return BAD("%s: fmap of inode %llu: extent %u names device %u (max %u)",
			   where, (unsigned long long)ino, i, e->dev,
			   BPFAM_MAX_DEVS - 1);
	if (!e->len || e->len % BPFAM_ALLOC_UNIT || e->dev_off % BPFAM_ALLOC_UNIT)
		return BAD("%s: fmap of inode %llu: extent %u (offset %llu, length %llu) is not a non-empty 2 MiB-aligned range",
			   where, (unsigned long long)ino, i,
			   (unsigned long long)e->dev_off,
			   (unsigned long long)e->len);
	if (e->dev_off + e->len < e->dev_off)
		return BAD("%s: fmap of inode %llu: extent %u wraps around",
			   where, (unsigned long long)ino, i);
	return 0;
}

/* Shape checks of an fmap that need nothing but the fmap itself. */
static int check_fmap_shape(const struct bpfam_fmap *m, const char *where,
			    uint64_t ino, struct bpfam_err *err)
{
	unsigned __int128 cap = 0;
	uint32_t i, max;
	int rc;

	max = m->kind == BPFAM_FMAP_INTERLEAVED ? BPFAM_MAX_STRIPS :
						  BPFAM_MAX_EXTENTS;
	if (m->kind != BPFAM_FMAP_SIMPLE && m->kind != BPFAM_FMAP_INTERLEAVED)
		return BAD("%s: fmap of inode %llu: unknown kind %u", where,
			   (unsigned long long)ino, m->kind);
	if (m->nr > max || (!m->nr && (m->size || m->kind != BPFAM_FMAP_SIMPLE)))
		return BAD("%s: fmap of inode %llu: %u %s, must be 1..%u (0 for an empty simple file)",
			   where, (unsigned long long)ino, m->nr,
			   m->kind == BPFAM_FMAP_SIMPLE ? "extents" : "strips",
			   max);
	if (m->kind == BPFAM_FMAP_SIMPLE && m->chunk)
		return BAD("%s: fmap of inode %llu: simple file with a chunk size",
			   where, (unsigned long long)ino);
	if (m->kind == BPFAM_FMAP_INTERLEAVED &&
	    (m->chunk < BPFAM_MIN_CHUNK || m->chunk > BPFAM_MAX_CHUNK ||
	     m->chunk % BPFAM_ALLOC_UNIT))
		return BAD("%s: fmap of inode %llu: chunk size %llu is not a multiple of 2 MiB in [2 MiB, 1 GiB]",
			   where, (unsigned long long)ino,
			   (unsigned long long)m->chunk);
	for (i = 0; i < m->nr; i++) {
		rc = check_extent(&m->ext[i], i, where, ino, err);
		if (rc)
			return rc;
		if (m->kind == BPFAM_FMAP_INTERLEAVED &&
		    (m->ext[i].len != m->ext[0].len || m->ext[i].len % m->chunk))
			return BAD("%s: fmap of inode %llu: strip %u is %llu bytes; strips must be equal multiples of the chunk",
				   where, (unsigned long long)ino, i,
				   (unsigned long long)m->ext[i].len);
		cap += m->ext[i].len;
	}
	if (cap < m->size)
		return BAD("%s: fmap of inode %llu: size %llu does not fit its extents (%llu bytes)",
			   where, (unsigned long long)ino,
			   (unsigned long long)m->size,
			   (unsigned long long)(cap > UINT64_MAX ? UINT64_MAX :
								    cap));
	return 0;
}

static int decode_fmap(const uint8_t *p, size_t n, const char *where,
		       struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_fmap *fm = (const void *)p;
	struct bpfam_fmap *m = &r->fmap.map;
	uint32_t i, nr;

	if (n < sizeof(*fm))
		return BAD("%s: fmap payload is %zu bytes, too short", where, n);
	nr = le32toh(fm->nr);
	r->fmap.ino = le64toh(fm->ino);
	if (nr > BPFAM_MAX_EXTENTS ||
	    nr * sizeof(fm->ext[0]) > n - sizeof(*fm))
		return BAD("%s: fmap of inode %llu: %u extents overrun the record",
			   where, (unsigned long long)r->fmap.ino, nr);
	memset(m, 0, sizeof(*m));
	m->version = BPFAM_FMAP_VERSION;
	m->kind = le32toh(fm->kind);
	m->size = le64toh(fm->size);
	m->chunk = le64toh(fm->chunk);
	m->nr = nr;
	for (i = 0; i < nr; i++) {
		m->ext[i].dev_off = le64toh(fm->ext[i].dev_off);
		m->ext[i].len = le64toh(fm->ext[i].len);
		m->ext[i].dev = le32toh(fm->ext[i].dev);
		if (fm->ext[i].rsvd)
			return BAD("%s: fmap of inode %llu: extent %u reserved bytes not zero",
				   where, (unsigned long long)r->fmap.ino, i);
	}
	return check_fmap_shape(m, where, r->fmap.ino, err);
}

static int decode_setattr(const uint8_t *p, size_t n, const char *where,
			  struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_setattr *sa = (const void *)p;
	const struct bpfam_rec_setattr_ext *sx = (const void *)(sa + 1);

	if (n < sizeof(*sa))
		return BAD("%s: setattr payload is %zu bytes, too short", where,
			   n);
	r->setattr.ino = le64toh(sa->ino);
	r->setattr.valid = le32toh(sa->valid);
	r->setattr.mode = le32toh(sa->mode);
	r->setattr.uid = le32toh(sa->uid);
	r->setattr.gid = le32toh(sa->gid);
	r->setattr.mtime_ns = le64toh(sa->mtime_ns);
	if (!r->setattr.valid || r->setattr.valid & ~BPFAM_ATTR_KNOWN)
		return BAD("%s: setattr of inode %llu: invalid attribute mask 0x%x",
			   where, (unsigned long long)r->setattr.ino,
			   r->setattr.valid);
	if (r->setattr.mode & ~07777)
		return BAD("%s: setattr of inode %llu: mode 0%o has non-permission bits",
			   where, (unsigned long long)r->setattr.ino,
			   r->setattr.mode);
	if (!(r->setattr.valid & BPFAM_ATTR_EXT))
		return 0;
	if (n < sizeof(*sa) + sizeof(*sx))
		return BAD("%s: setattr of inode %llu: payload is %zu bytes, too short for times and size",
			   where, (unsigned long long)r->setattr.ino, n);
	r->setattr.atime_ns = le64toh(sx->atime_ns);
	r->setattr.ctime_ns = le64toh(sx->ctime_ns);
	r->setattr.size = le64toh(sx->size);
	return 0;
}

static int decode_delete(const uint8_t *p, size_t n, const char *where,
			 struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_delete *del = (const void *)p;

	if (n < sizeof(*del))
		return BAD("%s: delete payload is %zu bytes, too short", where,
			   n);
	r->del.ino = le64toh(del->ino);
	r->del.parent = le64toh(del->parent);
	if (r->del.ino == BPFAM_ROOT_INO)
		return BAD("%s: delete of the root directory", where);
	return 0;
}

static int decode_reclaim(const uint8_t *p, size_t n, const char *where,
			  struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_reclaim *rc = (const void *)p;

	if (n < sizeof(*rc))
		return BAD("%s: reclaim payload is %zu bytes, too short", where,
			   n);
	r->reclaim.upto = le64toh(rc->upto);
	if (rc->rsvd)
		return BAD("%s: reclaim: reserved bytes not zero", where);
	if (!r->reclaim.upto || r->reclaim.upto > r->seq)
		return BAD("%s: reclaim up to %llu: not a record before this one",
			   where, (unsigned long long)r->reclaim.upto);
	return 0;
}

static int decode_rename(const uint8_t *p, size_t n, const char *where,
			 struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_rename *rn = (const void *)p;
	const char *names = (const char *)(rn + 1);
	uint32_t src_len, dst_len;

	if (n < sizeof(*rn))
		return BAD("%s: rename payload is %zu bytes, too short", where,
			   n);
	src_len = le16toh(rn->src_len);
	dst_len = le16toh(rn->dst_len);
	if (src_len + dst_len > n - sizeof(*rn))
		return BAD("%s: rename names (%u and %u bytes) overrun the record",
			   where, src_len, dst_len);
	r->rename.src_parent = le64toh(rn->src_parent);
	r->rename.dst_parent = le64toh(rn->dst_parent);
	r->rename.ino = le64toh(rn->ino);
	r->rename.victim = le64toh(rn->victim);
	r->rename.time_ns = le64toh(rn->time_ns);
	r->rename.flags = le32toh(rn->flags);
	r->rename.src_len = src_len;
	r->rename.dst_len = dst_len;
	if (!take_name(names, src_len, r->rename.src_name) ||
	    !take_name(names + src_len, dst_len, r->rename.dst_name))
		return BAD("%s: rename of inode %llu: invalid name", where,
			   (unsigned long long)r->rename.ino);
	if (r->rename.flags & ~BPFAM_RENAME_EXCHANGE)
		return BAD("%s: rename of '%s': unknown flags 0x%x", where,
			   r->rename.src_name, r->rename.flags);
	if (r->rename.ino == BPFAM_ROOT_INO ||
	    r->rename.victim == BPFAM_ROOT_INO ||
	    r->rename.ino == r->rename.victim)
		return BAD("%s: rename of '%s': inode %llu over inode %llu",
			   where, r->rename.src_name,
			   (unsigned long long)r->rename.ino,
			   (unsigned long long)r->rename.victim);
	if ((r->rename.flags & BPFAM_RENAME_EXCHANGE) && !r->rename.victim)
		return BAD("%s: rename of '%s': an exchange with nothing",
			   where, r->rename.src_name);
	return 0;
}

static int decode_link(const uint8_t *p, size_t n, const char *where,
		       struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_link *ln = (const void *)p;
	const char *what = bpfam_record_type_name(r->type);

	if (n < sizeof(*ln))
		return BAD("%s: %s payload is %zu bytes, too short", where,
			   what, n);
	r->link.ino = le64toh(ln->ino);
	r->link.parent = le64toh(ln->parent);
	r->link.time_ns = le64toh(ln->time_ns);
	r->link.name_len = le32toh(ln->name_len);
	if (r->link.name_len > n - sizeof(*ln) ||
	    !take_name(ln + 1, r->link.name_len, r->link.name))
		return BAD("%s: %s of inode %llu: invalid name (length %u)",
			   where, what, (unsigned long long)r->link.ino,
			   r->link.name_len);
	if (ln->rsvd)
		return BAD("%s: %s of '%s': reserved bytes not zero", where,
			   what, r->link.name);
	if (r->link.ino == BPFAM_ROOT_INO)
		return BAD("%s: %s of the root directory", where, what);
	return 0;
}

static int decode_xattr(const uint8_t *p, size_t n, const char *where,
			struct bpfam_record *r, struct bpfam_err *err)
{
	const struct bpfam_rec_xattr *x = (const void *)p;
	const char *name = (const char *)(x + 1);
	uint32_t name_len, value_len;

	if (n < sizeof(*x))
		return BAD("%s: xattr payload is %zu bytes, too short", where,
			   n);
	name_len = le16toh(x->name_len);
	value_len = le32toh(x->value_len);
	r->xattr.ino = le64toh(x->ino);
	r->xattr.time_ns = le64toh(x->time_ns);
	r->xattr.flags = le32toh(x->flags);
	r->xattr.name_len = name_len;
	r->xattr.value_len = value_len;
	if (name_len > n - sizeof(*x) || value_len > n - sizeof(*x) - name_len)
		return BAD("%s: xattr of inode %llu: name (%u bytes) and value (%u bytes) overrun the record",
			   where, (unsigned long long)r->xattr.ino, name_len,
			   value_len);
	/* Attribute names may hold '/' and dots; only NUL and length are
	 * wrong. */
	if (!name_len || name_len > BPFAM_NAME_MAX ||
	    memchr(name, '\0', name_len))
		return BAD("%s: xattr of inode %llu: invalid name (length %u)",
			   where, (unsigned long long)r->xattr.ino, name_len);
	memcpy(r->xattr.name, name, name_len);
	r->xattr.name[name_len] = '\0';
	if (x->rsvd || x->rsvd2 || r->xattr.flags & ~BPFAM_XATTR_REMOVE)
		return BAD("%s: xattr '%s' of inode %llu: unknown flags or reserved bytes",
			   where, r->xattr.name,
			   (unsigned long long)r->xattr.ino);
	if (value_len > BPFAM_XATTR_VALUE_MAX ||
	    (value_len && r->xattr.flags & BPFAM_XATTR_REMOVE))
		return BAD("%s: xattr '%s' of inode %llu: a value of %u bytes",
			   where, r->xattr.name,
			   (unsigned long long)r->xattr.ino, value_len);
	r->xattr.value = name + name_len;
	return 0;
}

static int decode_payload(const uint8_t *p, size_t n, const char *where,
			  struct bpfam_record *r, struct bpfam_err *err)
{
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		return decode_mknod(p, n, where, r, err);
	case BPFAM_REC_FMAP:
		return decode_fmap(p, n, where, r, err);
	case BPFAM_REC_SETATTR:
		return decode_setattr(p, n, where, r, err);
	case BPFAM_REC_DELETE:
		return decode_delete(p, n, where, r, err);
	case BPFAM_REC_RECLAIM:
		return decode_reclaim(p, n, where, r, err);
	case BPFAM_REC_RENAME:
		return decode_rename(p, n, where, r, err);
	case BPFAM_REC_LINK:
	case BPFAM_REC_UNLINK:
		return decode_link(p, n, where, r, err);
	case BPFAM_REC_XATTR:
		return decode_xattr(p, n, where, r, err);
	}
	if (r->flags & BPFAM_REC_F_OPTIONAL)
		return 0;
	return BAD("%s: unknown record type %u (made by a newer bpfam?)", where,
		   r->type);
}

long bpfam_record_decode(const void *buf, size_t avail, uint64_t seq,
			 const char *where, struct bpfam_record *r,
			 struct bpfam_err *err)
{
	const struct bpfam_rec_hdr *h = buf;
	uint32_t len, want, got;
	int rc;

	if (avail < HDR)
		return 0;
	if (h->magic == 0)
		return 0;
	if (le32toh(h->magic) != BPFAM_REC_MAGIC)
		return BAD("%s: bad record magic 0x%08x", where,
			   le32toh(h->magic));
	len = le32toh(h->len);
	if (len < HDR || len > BPFAM_REC_MAX || len % BPFAM_REC_ALIGN ||
	    len > avail)
		return BAD("%s: record length %u is invalid", where, len);
	want = le32toh(h->crc);
	got = record_crc(buf, len);
	if (want != got)
		return BAD("%s: record checksum mismatch (stored 0x%08x, computed 0x%08x)",
			   where, want, got);
	memset(r, 0, offsetof(struct bpfam_record, mknod));
	r->seq = le64toh(h->seq);
	r->type = le16toh(h->type);
	r->flags = le16toh(h->flags);
	r->len = len;
	if (r->seq != seq)
		return BAD("%s: record has sequence %llu, expected %llu", where,
			   (unsigned long long)r->seq,
			   (unsigned long long)seq);
	if (r->flags & ~BPFAM_REC_F_OPTIONAL)
		return BAD("%s: record flags 0x%x unknown", where, r->flags);
	rc = decode_payload((const uint8_t *)buf + HDR, len - HDR, where, r,
			    err);
	if (rc)
		return rc;
	if (payload_size(r) && bpfam_record_size(r) != len)
		return BAD("%s: %s record is %u bytes, its contents need %zu",
			   where, bpfam_record_type_name(r->type), len,
			   bpfam_record_size(r));
	return len;
}

/* Room an fmap may hold beyond its size without a reservation. */
static bool fmap_tight(const struct bpfam_fmap *m)
{
	unsigned __int128 cap = 0, slack;
	uint32_t i;

	if (!m->nr || !m->size)
		return false;
	for (i = 0; i < m->nr; i++)
		cap += m->ext[i].len;
	slack = m->kind == BPFAM_FMAP_SIMPLE ?
			BPFAM_ALLOC_UNIT :
			(unsigned __int128)m->chunk * m->nr;
	return cap - m->size < slack;
}

bool bpfam_record_needs_posix(const struct bpfam_record *r, bool resize)
{
	switch (r->type) {
	case BPFAM_REC_MKNOD:
		return !S_ISREG(r->mknod.mode) && !S_ISDIR(r->mknod.mode);
	case BPFAM_REC_FMAP:
		return resize || !fmap_tight(&r->fmap.map);
	case BPFAM_REC_SETATTR:
		return r->setattr.valid & BPFAM_ATTR_EXT;
	case BPFAM_REC_DELETE:
	case BPFAM_REC_RECLAIM:
		return false;
	}
	return !(r->flags & BPFAM_REC_F_OPTIONAL);
}
