/* snapshot_h5.h - the HDF5 types of the snapshot's column types (snapshot.h), for the code
 * that reads or writes snapshots with the HDF5 library: the writer, the report's reader and
 * tests/mpi/snapcmp. */
#ifndef TXETL_SNAPSHOT_H5_H
#define TXETL_SNAPSHOT_H5_H

#include <hdf5.h>

#include "txetl/snapshot.h"

/* Local. The HDF5 type of TX_SNAP_S3: a 3-byte null-padded ASCII string (made once per
 * translation unit and library session; not to be closed by the caller). */
static inline hid_t tx_snapshot_h5_s3(void)
{
    static hid_t t = -1;
    if (t < 0 || H5Iis_valid(t) <= 0) {
        t = H5Tcopy(H5T_C_S1);
        if (t >= 0 && (H5Tset_size(t, 3) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
            H5Tclose(t);
            t = -1;
        }
    }
    return t;
}

/* Local. The file type of a column of type t: little-endian integers, IEEE f64, S3. */
static inline hid_t tx_snapshot_h5_file_type(tx_snapshot_type t)
{
    switch (t) {
    case TX_SNAP_U8: return H5T_STD_U8LE;
    case TX_SNAP_I32: return H5T_STD_I32LE;
    case TX_SNAP_U32: return H5T_STD_U32LE;
    case TX_SNAP_I64: return H5T_STD_I64LE;
    case TX_SNAP_U64: return H5T_STD_U64LE;
    case TX_SNAP_F64: return H5T_IEEE_F64LE;
    case TX_SNAP_S3: return tx_snapshot_h5_s3();
    }
    return -1;
}

/* Local. The native memory type of a column of type t (what its array holds). */
static inline hid_t tx_snapshot_h5_mem_type(tx_snapshot_type t)
{
    switch (t) {
    case TX_SNAP_U8: return H5T_NATIVE_UINT8;
    case TX_SNAP_I32: return H5T_NATIVE_INT32;
    case TX_SNAP_U32: return H5T_NATIVE_UINT32;
    case TX_SNAP_I64: return H5T_NATIVE_INT64;
    case TX_SNAP_U64: return H5T_NATIVE_UINT64;
    case TX_SNAP_F64: return H5T_NATIVE_DOUBLE;
    case TX_SNAP_S3: return tx_snapshot_h5_s3();
    }
    return -1;
}

#endif
