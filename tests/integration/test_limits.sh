#!/usr/bin/env bash
# No fixed maxima a user can reach on UE groups, positions, resources,
# instances, workloads, devices and models: scenarios well past wave 1's
# limits (16 groups, 1024 positions, 32 resources, 16 models, 8 devices)
# validate and run. What a plan can hold stays a model limit with a clear
# FILE:LINE message: 16 options per side (an accelerator instance is one
# option, a CPU instance one per core amount it allows).
set -u
. "$(dirname "$0")/lib.sh"

# big.xml: 40 resource types, 20 models (LeNet-5 from the zoo under 20 names), 12
# device classes, 20 UE groups of one UE with two workloads each, 16 edge instances.
# Extra lines go before </edge> (EDGE_EXTRA) and replace device d0's use (D0_USE).
big_scenario() {
    local i g
    echo '<?xml version="1.0"?>'
    echo '<scenario name="big">'
    echo '  <simulation duration="3 s" seed="3"/>'
    echo '  <radio sample-period="1 s">'
    echo '    <carrier frequency="3.5 GHz" bandwidth="40 MHz" scs="30 kHz"/>'
    echo '    <deployment scenario="UMi" sites="1" isd="200 m" sectors="1"/>'
    for g in $(seq 0 19); do
        echo "    <ue-group count=\"1\" device=\"d$((g % 12))\" placement=\"positions\">"
        echo "      <position x=\"$((10 + g)) m\" y=\"5 m\"/>"
        echo "      <workload model=\"m$((g % 20))\" arrival=\"periodic\" rate=\"1 Hz\" deadline=\"50 ms\"/>"
        echo "      <workload model=\"m$(((g + 7) % 20))\" arrival=\"periodic\" rate=\"1 Hz\" deadline=\"50 ms\"/>"
        echo "    </ue-group>"
    done
    echo '  </radio>'
    for i in $(seq 0 39); do
        echo "  <resource name=\"r$i\" kind=\"cpu\" units=\"4\" peak=\"38.7 GFLOPS\"" \
            "memory-bandwidth=\"352 Gbps\" overhead=\"5 us\" idle-power=\"0.1 W\"" \
            "active-power=\"4 W\" efficiency=\"0.5\"/>"
    done
    for i in $(seq 0 19); do
        echo "  <model name=\"m$i\" zoo=\"lenet5\"/>"
    done
    for i in $(seq 0 11); do
        echo "  <device name=\"d$i\">"
        if [ "$i" -eq 0 ] && [ -n "${D0_USE:-}" ]; then
            echo "    $D0_USE"
        else
            echo "    <use resource=\"r$i\" name=\"cpu\" amounts=\"1 4\"/>"
        fi
        echo "  </device>"
    done
    echo '  <edge>'
    for i in $(seq 0 15); do
        echo "    <use resource=\"r$((20 + i))\" name=\"e$i\"/>"
    done
    [ -n "${EDGE_EXTRA:-}" ] && echo "    $EDGE_EXTRA"
    echo '  </edge>'
    echo '</scenario>'
}

big_scenario >"$TMP/big.xml"
expect_exit 0 "40 resources, 20 models, 12 devices, 20 groups, 16 edge instances: valid" \
    "$COINFER" validate "$TMP/big.xml"
expect_exit 0 "...and it runs" "$COINFER" run "$TMP/big.xml" --policy split --db "$TMP/big.db"
expect_eq "every UE's two workloads made inferences (20 UEs, 20 models used)" \
    "$(sql "$TMP/big.db" "SELECT count(DISTINCT ue_id) || ' ' || count(DISTINCT model)
                          FROM inferences")" "20 20"

# 1100 UEs placed one by one.
{
    echo '<?xml version="1.0"?>'
    echo '<scenario name="positions">'
    echo '  <simulation duration="2 s" seed="3"/>'
    echo '  <radio sample-period="1 s">'
    echo '    <carrier frequency="3.5 GHz" bandwidth="40 MHz" scs="30 kHz"/>'
    echo '    <deployment scenario="UMi" sites="1" isd="200 m" sectors="1"/>'
    echo '    <ue-group count="1100" placement="positions">'
    for i in $(seq 0 1099); do
        echo "      <position x=\"$(((i % 40) * 4 - 80)) m\" y=\"$(((i / 40) * 4 - 60)) m\"/>"
    done
    echo '    </ue-group>'
    echo '  </radio>'
    echo '</scenario>'
} >"$TMP/positions.xml"
expect_exit 0 "a group of 1100 UEs at given positions runs" \
    "$COINFER" radio "$TMP/positions.xml" --db "$TMP/positions.db"
expect_eq "...every UE sampled at 0, 1 and 2 s" \
    "$(sql "$TMP/positions.db" "SELECT count(*) FROM radio_samples")" "3300"

# The plan's limit: 16 options a side, said with the line of the use too many.
EDGE_EXTRA='<use resource="r36" name="e16"/>' big_scenario >"$TMP/big17.xml"
expect_exit 2 "a 17th edge option is refused" "$COINFER" validate "$TMP/big17.xml"
line=$(grep -n 'name="e16"' "$TMP/big17.xml" | cut -d: -f1)
expect_match "...with its file, line and the limit" "$ERR" \
    "big17.xml:$line: element 'use': the edge has more than 16 options"
D0_USE='<use resource="r0" name="cpu" amounts="1 2 3 4"/><use resource="r1" name="c2" amounts="1 2 3 4"/><use resource="r2" name="c3" amounts="1 2 3 4"/><use resource="r3" name="c4" amounts="1 2 3 4"/><use resource="r4" name="c5" amounts="1"/>' \
    big_scenario >"$TMP/dev17.xml"
expect_exit 2 "17 options on a device (four CPUs of four amounts and one more) are refused" \
    "$COINFER" validate "$TMP/dev17.xml"
expect_match "...naming the device" "$ERR" "device 'd0' has more than 16 options"
