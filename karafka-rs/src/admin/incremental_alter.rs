//! IncrementalAlterConfigs through librdkafka's C API: rust-rdkafka wraps only
//! the older AlterConfigs, which resets every setting it is not given to its
//! default and which Tansu does not implement.

use std::ffi::{CStr, CString};
use std::time::Duration;

use rdkafka::client::Client;
use rdkafka::ClientContext;
use rdkafka_sys::bindings as rdsys;

/// Sets `settings` on `topic`, leaving its other settings as they are; on
/// failure, the broker's or librdkafka's reason.
pub(super) fn set_topic_settings<C: ClientContext>(
    client: &Client<C>,
    topic: &str,
    settings: &[(String, String)],
    timeout: Duration,
) -> Result<(), String> {
    let name = CString::new(topic).map_err(|_| "the topic name holds a NUL byte".to_owned())?;
    let pairs: Vec<(CString, CString)> = settings
        .iter()
        .map(|(k, v)| Ok((CString::new(k.as_str())?, CString::new(v.as_str())?)))
        .collect::<Result<_, std::ffi::NulError>>()
        .map_err(|_| "a setting holds a NUL byte".to_owned())?;
    let timeout_ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    #[allow(unsafe_code)]
    // SAFETY: every pointer passed to librdkafka is created here, checked for
    // null, used only while `client` is alive, and destroyed exactly once.
    unsafe {
        let rk = client.native_ptr();
        let mut resource = rdsys::rd_kafka_ConfigResource_new(
            rdsys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
            name.as_ptr(),
        );
        if resource.is_null() {
            return Err("librdkafka could not make the config resource".to_owned());
        }
        for (key, value) in &pairs {
            let error = rdsys::rd_kafka_ConfigResource_add_incremental_config(
                resource,
                key.as_ptr(),
                rdsys::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
                value.as_ptr(),
            );
            if !error.is_null() {
                let reason = text(rdsys::rd_kafka_error_string(error));
                rdsys::rd_kafka_error_destroy(error);
                rdsys::rd_kafka_ConfigResource_destroy(resource);
                return Err(reason);
            }
        }
        let options = rdsys::rd_kafka_AdminOptions_new(
            rk,
            rdsys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
        );
        let mut errstr = [0 as std::ffi::c_char; 256];
        rdsys::rd_kafka_AdminOptions_set_request_timeout(
            options,
            timeout_ms,
            errstr.as_mut_ptr(),
            errstr.len(),
        );
        let queue = rdsys::rd_kafka_queue_new(rk);
        rdsys::rd_kafka_IncrementalAlterConfigs(rk, &mut resource, 1, options, queue);
        // The request holds its own copy of the resource and options.
        rdsys::rd_kafka_ConfigResource_destroy(resource);
        rdsys::rd_kafka_AdminOptions_destroy(options);
        let event = rdsys::rd_kafka_queue_poll(queue, timeout_ms.saturating_add(1_000));
        let outcome = if event.is_null() {
            Err(format!("no answer within {timeout_ms} ms"))
        } else {
            let outcome = if rdsys::rd_kafka_event_error(event)
                != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
            {
                Err(text(rdsys::rd_kafka_event_error_string(event)))
            } else {
                resource_outcome(event)
            };
            rdsys::rd_kafka_event_destroy(event);
            outcome
        };
        rdsys::rd_kafka_queue_destroy(queue);
        outcome
    }
}

/// The error of the one resource in an IncrementalAlterConfigs result event.
#[allow(unsafe_code)]
unsafe fn resource_outcome(event: *mut rdsys::rd_kafka_event_t) -> Result<(), String> {
    // SAFETY: `event` is a live result event; what it points to lives as long as it.
    unsafe {
        let result = rdsys::rd_kafka_event_IncrementalAlterConfigs_result(event);
        if result.is_null() {
            return Err("librdkafka answered with an unexpected event".to_owned());
        }
        let mut count = 0usize;
        let resources =
            rdsys::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
        for i in 0..count {
            let resource = *resources.add(i);
            if rdsys::rd_kafka_ConfigResource_error(resource)
                != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
            {
                let code = rdsys::rd_kafka_ConfigResource_error(resource);
                let message = text(rdsys::rd_kafka_ConfigResource_error_string(resource));
                let name = CStr::from_ptr(rdsys::rd_kafka_err2name(code)).to_string_lossy();
                return Err(if message.is_empty() {
                    name.into_owned()
                } else {
                    format!("{name}: {message}")
                });
            }
        }
        Ok(())
    }
}

/// A C string from librdkafka, or empty for null.
#[allow(unsafe_code)]
unsafe fn text(pointer: *const std::ffi::c_char) -> String {
    if pointer.is_null() {
        String::new()
    } else {
        // SAFETY: librdkafka returns NUL-terminated strings it owns.
        unsafe { CStr::from_ptr(pointer) }
            .to_string_lossy()
            .into_owned()
    }
}
