/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one version of the project, printed by 'bpfam --version' and
 * 'bpfamd --version'.  Bump it when a release is cut.
 */
#ifndef BPFAM_VERSION_H
#define BPFAM_VERSION_H

#define BPFAM_VERSION_STRING "0.1.0"

#endif /* BPFAM_VERSION_H */
