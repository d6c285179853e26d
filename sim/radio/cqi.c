/*
 * cqi.c — the CQI tables of 3GPP TS 38.214 (V17) clause 5.2.2.1 and the SINR
 * thresholds that map a SINR to a CQI at a 10 % block error rate.
 *
 * Modulation order, code rate x 1024 and spectral efficiency are copied from
 * TS 38.214 table 5.2.2.1-2 (up to 64QAM, "CQI table 1") and table 5.2.2.1-3
 * (up to 256QAM, "CQI table 2"). The standard does not give SINR thresholds:
 * they depend on the receiver. We use the attenuated Shannon bound of
 * Mogensen et al., "LTE capacity compared to the Shannon bound" (VTC 2007
 * Spring), SE = 0.75 log2(1 + SINR), inverted at each row's tabulated
 * efficiency: the lowest SINR for CQI i is 2^(SE_i / 0.75) - 1, tabulated
 * below (CQI 1, 0.1523 bit/s/Hz, needs -8.2 dB; CQI 7 of table 1,
 * 1.4766 bit/s/Hz, 4.6 dB; CQI 15 of table 1 22.3 dB and of table 2 29.7 dB).
 * A UE reports the highest CQI whose threshold its SINR reaches. Because
 * SE_i = 0.75 log2(1 + SINR_i) <= log2(1 + SINR) for every SINR >= SINR_i,
 * the CQI's efficiency never exceeds Shannon's at the SINR that selected it.
 */
#include "radio/radio_int.h"

/* Columns: Qm, code rate x 1024, efficiency (TS 38.214), SINR threshold
 * 10 log10(2^(SE / 0.75) - 1) dB rounded to 1e-6 dB (this file's rule). */

/* TS 38.214 table 5.2.2.1-2: 4-bit CQI table 1 (QPSK to 64QAM). */
static const struct radio_cqi_entry table_64qam[RADIO_CQI_MAX + 1] = {
    {0, 0, 0.0, -INFINITY}, /* 0: out of range */
    {2, 78, 0.1523, -8.206129}, /* 1 */
    {2, 120, 0.2344, -6.163884}, /* 2 */
    {2, 193, 0.3770, -3.800410}, /* 3 */
    {2, 308, 0.6016, -1.286153}, /* 4 */
    {2, 449, 0.8770, 0.965894}, /* 5 */
    {2, 602, 1.1758, 2.932268}, /* 6 */
    {4, 378, 1.4766, 4.645527}, /* 7 */
    {4, 490, 1.9141, 6.870837}, /* 8 */
    {4, 616, 2.4063, 9.160984}, /* 9 */
    {6, 466, 2.7305, 10.596541}, /* 10 */
    {6, 567, 3.3223, 13.128489}, /* 11 */
    {6, 666, 3.9023, 15.543264}, /* 12 */
    {6, 772, 4.5234, 18.088801}, /* 13 */
    {6, 873, 5.1152, 20.492447}, /* 14 */
    {6, 948, 5.5547, 22.269406}, /* 15 */
};

/* TS 38.214 table 5.2.2.1-3: 4-bit CQI table 2 (QPSK to 256QAM). */
static const struct radio_cqi_entry table_256qam[RADIO_CQI_MAX + 1] = {
    {0, 0, 0.0, -INFINITY}, /* 0: out of range */
    {2, 78, 0.1523, -8.206129}, /* 1 */
    {2, 193, 0.3770, -3.800410}, /* 2 */
    {2, 449, 0.8770, 0.965894}, /* 3 */
    {4, 378, 1.4766, 4.645527}, /* 4 */
    {4, 490, 1.9141, 6.870837}, /* 5 */
    {4, 616, 2.4063, 9.160984}, /* 6 */
    {6, 466, 2.7305, 10.596541}, /* 7 */
    {6, 567, 3.3223, 13.128489}, /* 8 */
    {6, 666, 3.9023, 15.543264}, /* 9 */
    {6, 772, 4.5234, 18.088801}, /* 10 */
    {6, 873, 5.1152, 20.492447}, /* 11 */
    {8, 711, 5.5547, 22.269406}, /* 12 */
    {8, 797, 6.2266, 24.978131}, /* 13 */
    {8, 885, 6.9141, 27.744058}, /* 14 */
    {8, 948, 7.4063, 29.722285}, /* 15 */
};

static const struct radio_cqi_entry *const tables[] = {table_64qam, table_256qam};
static_assert(ARRAY_LEN(tables) == RADIO_CQI_TABLE_COUNT, "one row set per CQI table");

const struct radio_cqi_entry *radio_cqi_entry(enum radio_cqi_table t, uint32_t cqi)
{
    CORE_ASSERT(t < RADIO_CQI_TABLE_COUNT && cqi <= RADIO_CQI_MAX);
    return &tables[t][cqi];
}

uint32_t radio_cqi_from_sinr(enum radio_cqi_table t, double sinr_db)
{
    uint32_t cqi = 0;

    CORE_ASSERT(t < RADIO_CQI_TABLE_COUNT);
    while (cqi < RADIO_CQI_MAX && sinr_db >= tables[t][cqi + 1].sinr_min_db)
        cqi++;
    return cqi;
}
