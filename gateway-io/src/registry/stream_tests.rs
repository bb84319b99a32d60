//! [`InMemoryRegistry::from_toml`] one gateway table at a time gives what parsing the whole
//! document gives: the same registry, the same errors.

use super::{
    AuthMethod, Authenticator, Credential, GatewayRegistry, InMemoryRegistry, RegistryConfig,
    RegistryConfigError, Right, hash_key,
};

/// The path before the streaming one: the whole document, then the checks.
fn whole(text: &str) -> Result<InMemoryRegistry, RegistryConfigError> {
    let config: RegistryConfig =
        toml::from_str(text).map_err(|e| RegistryConfigError::Syntax(e.to_string()))?;
    InMemoryRegistry::from_config(config)
}

/// `n` gateways of every kind: tenants both ways, EUIs or none, `auth` lists, several keys
/// (indented headers, comments), a custom plan defined after the gateways that use it.
fn many(n: usize) -> String {
    let mut text = String::from("# registry\n\n");
    for i in 0..n {
        let id = match i % 3 {
            0 => format!("id = \"gw-{i}\"\n"),
            1 => format!("id = \"gw-{i}\"\ntenant = \"tenant-{}\"\n", i % 5),
            _ => format!("id = \"gw-{i}@other\"\n"),
        };
        text.push_str(&format!("[[gateway]]\n{id}"));
        if i % 4 != 0 {
            text.push_str(&format!(
                "eui = \"{:016X}\"\n",
                0x58A0_CBFF_FE80_0000u64 + i as u64
            ));
        }
        let plans = if i % 2 == 0 {
            "[\"EU_863_870\", \"ONE_CHANNEL\"]"
        } else {
            "[\n  \"US_902_928_FSB_2\",\n]"
        };
        text.push_str(&format!("frequency_plans = {plans}\n"));
        match i % 5 {
            0 => text.push_str("auth = [\"api-key\", \"client-certificate\"]\n"),
            1 => text.push_str("auth = [\"client-certificate\"]\n"),
            2 => text.push_str("require_authenticated_connection = false\n"),
            _ => text.push_str(&format!("antenna_gain = {}.5\n", i % 7)),
        }
        for k in 0..i % 3 {
            text.push_str(&format!(
                "\n  [[gateway.key]]  # key {k}\n  name = \"key-{k}\"\n  hash = \"{}\"\n  \
                 rights = [\"link\", \"info\"]\n",
                hash_key(
                    &format!("KEY-{i}-{k}"),
                    format!("salt-{i:04}-{k}-abcdef").as_bytes()
                )
            ));
        }
        text.push('\n');
        if i == n / 2 {
            text.push_str(
                "[[frequency_plan]]\nid = \"ONE_CHANNEL\"\nband_id = \"EU_863_870\"\n\
                 downlink_channels = [868100000]\n\
                 radios = [{ frequency = 868500000, tx = { min = 863000000, max = 870000000 } }]\n\
                 uplink_channels = [{ frequency = 868100000, radio = 0, min_data_rate = 0, \
                 max_data_rate = 5 }]\nrx2 = { frequency = 869525000, data_rate = 0 }\n\n",
            );
        }
    }
    text
}

#[test]
fn streamed_registry_equals_the_whole_document_one() {
    let text = many(60);
    let streamed = InMemoryRegistry::from_toml_by_gateway(&text).expect("streamed");
    let expected = whole(&text).unwrap();
    assert_eq!(streamed, expected);
    assert_eq!(InMemoryRegistry::from_toml(&text).unwrap(), expected);
    assert_eq!(streamed.len(), 60);
    // A few spot checks that the entries are what the file says.
    streamed
        .authenticate("gw-4@tenant-4", Credential::ApiKey("KEY-4-0"), Right::Link)
        .unwrap();
    assert!(
        streamed
            .authenticate("gw-4@tenant-4", Credential::ApiKey("KEY-4-1"), Right::Link)
            .is_err()
    );
    let gw = streamed.gateway_by_id("gw-17@other").unwrap();
    assert_eq!(gw.frequency_plan_ids, ["US_902_928_FSB_2"]);
    assert_eq!(gw.antenna_gain, 0.0);
    assert!(!gw.require_authenticated_connection);
    assert_eq!(
        streamed.authenticate(
            "gw-3",
            Credential::ClientCertificate("58A0CBFFFE800003".parse().unwrap()),
            Right::Link
        ),
        Err(super::AuthError::MethodNotAccepted {
            gateway: "gw-3".into(),
            method: AuthMethod::ClientCertificate
        })
    );
    assert!(streamed.frequency_plan("ONE_CHANNEL").is_some());
}

#[test]
fn errors_are_those_of_the_whole_document() {
    let good = many(12);
    let cases = [
        // Syntax error inside the 8th gateway table: the line number of the whole file.
        good.replacen("id = \"gw-7\"", "id = \"gw-7", 1),
        // Unknown field inside a gateway table.
        good.replacen("id = \"gw-3\"", "id = \"gw-3\"\ncolour = \"red\"", 1),
        // A key hash that does not parse.
        good.replacen("hash = \"sha256:", "hash = \"sha257:", 1),
        // Two gateways with one id, in two tables.
        good.replacen("id = \"gw-9\"", "id = \"gw-0\"", 1),
        // An unknown plan.
        good.replacen("\"EU_863_870\", ", "\"EU_000\", ", 1),
        // A syntax error outside the gateway tables, after them.
        format!("{good}[[frequency_plan]]\nid = \n"),
        // A later gateway's syntax error wins over an earlier one's check error.
        good.replacen("id = \"gw-9\"", "id = \"gw-0\"", 1).replacen(
            "id = \"gw-11",
            "id = gw-11",
            1,
        ),
    ];
    for text in &cases {
        let error = InMemoryRegistry::from_toml(text).unwrap_err();
        assert_eq!(Err(error), whole(text), "{text}");
    }
    let RegistryConfigError::Syntax(message) = InMemoryRegistry::from_toml(&cases[0]).unwrap_err()
    else {
        panic!("a syntax error");
    };
    let line = cases[0].lines().position(|l| l == "id = \"gw-7").unwrap() + 1;
    assert!(message.contains(&format!("line {line}")), "{message}");
}

#[test]
fn unsure_cuts_parse_the_whole_document() {
    let good = many(6);
    // A multi-line string anywhere.
    let multi = format!("# \"\"\"\n{good}");
    assert_eq!(super::split_gateway_tables(&multi, "gateway"), None);
    assert_eq!(InMemoryRegistry::from_toml(&multi), whole(&multi));
    assert_eq!(InMemoryRegistry::from_toml(&multi).unwrap().len(), 6);
    // A gateway header the splitter does not take (spaces inside): it stays in the rest,
    // whose parse then finds a gateway.
    let commented = good.replacen("[[gateway]]\n", "[[ gateway ]]\n", 1);
    assert_eq!(InMemoryRegistry::from_toml_by_gateway(&commented), None);
    assert_eq!(InMemoryRegistry::from_toml(&commented).unwrap().len(), 6);
    assert_eq!(InMemoryRegistry::from_toml(&commented), whole(&commented));
    // Gateways given inline as well as in tables: the whole document's error.
    let inline =
        format!("gateway = [{{ id = \"gw-x\", frequency_plans = [\"EU_863_870\"] }}]\n{good}");
    assert!(InMemoryRegistry::from_toml(&inline).is_err());
    assert_eq!(InMemoryRegistry::from_toml(&inline), whole(&inline));
    // Only inline gateways: nothing to cut.
    let only_inline = "gateway = [{ id = \"gw-x\", frequency_plans = [\"EU_863_870\"] }]\n";
    assert_eq!(InMemoryRegistry::from_toml(only_inline).unwrap().len(), 1);
}
