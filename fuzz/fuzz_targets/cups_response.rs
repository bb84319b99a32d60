//! CUPS `update-info` response parser (both layouts) and the credential blobs inside it.
//!
//! Invariants: no panic; a strictly decoded response that re-encodes does so to the same
//! bytes; a leniently decoded one re-encodes (station layout) to something that decodes
//! strictly to the same value; a credentials blob that splits rebuilds to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_basicstation::cups::{Credentials, StationActions, UpdateInfoResponse};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = UpdateInfoResponse::decode(data)
        && let Ok(bytes) = r.to_bytes()
    {
        assert_eq!(bytes, data, "strict decode is not canonical");
    }
    if let Ok((r, _layout)) = UpdateInfoResponse::decode_lenient(data) {
        if let Ok(bytes) = r.to_bytes() {
            assert_eq!(UpdateInfoResponse::decode(&bytes).as_ref(), Ok(&r));
        }
        for (field, blob) in [("cupsCred", &r.cups_cred), ("tcCred", &r.tc_cred)] {
            if let Some(blob) = blob
                && let Ok(creds) = Credentials::from_blob(field, blob)
            {
                assert_eq!(creds.to_blob(field).as_ref(), Ok(blob), "blob split is not canonical");
            }
        }
        let _ = StationActions::from_response(&r, &[[0x11; 64]]);
    }
});
