// Tests for joule/energy.hpp: every backend against fake sysfs trees (written to a temporary
// directory and passed as options.sysfs_root), with a fake clock and the background thread off
// so every sample is taken by the test itself.
//
// Permission denied: the tests may run as root, where chmod 000 does not stop reads. So the
// fallback logic is driven through the file-reader seam (options.read_file returns EACCES, the
// errno the real reader reports), and the real reader itself is checked on a chmod-000 file from
// a child process that drops to uid 65534 (nobody) first when the test runs as root.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <joule/energy.hpp>

namespace fs = std::filesystem;
namespace en = joule::energy;

namespace
{
    /// A temporary directory standing in for "/": write("sys/class/...", "123") creates the file.
    class fake_root
    {
    public:
        fake_root()
        {
            std::string pattern = (fs::temp_directory_path() / "joule-energy-XXXXXX").string();
            if (::mkdtemp(pattern.data()) == nullptr)
                throw std::runtime_error("mkdtemp failed");
            root_ = pattern;
        }
        ~fake_root()
        {
            std::error_code ec;
            fs::remove_all(root_, ec);
        }
        void write(const std::string& relative, const std::string& text) const
        {
            const fs::path p = fs::path(root_) / relative;
            fs::create_directories(p.parent_path());
            std::ofstream(p) << text << "\n";
        }
        void remove(const std::string& relative) const { fs::remove(fs::path(root_) / relative); }
        const std::string& path() const { return root_; }

    private:
        std::string root_;
    };

    /// Options for a fake tree: fake clock, no background thread, notices collected.
    struct harness
    {
        fake_root root;
        double now = 100.0;
        std::vector<std::string> notices;
        en::options options()
        {
            en::options o;
            o.sysfs_root = root.path();
            o.background_polling = false;
            o.clock = [this] { return now; };
            o.notice = [this](const std::string& line) { notices.push_back(line); };
            return o;
        }
    };

    void rapl_zone(const fake_root& r, const std::string& zone, const std::string& name, long long energy_uj,
                   long long range_uj = 262143328850LL)
    {
        const std::string dir = "sys/class/powercap/" + zone + "/";
        r.write(dir + "name", name);
        r.write(dir + "energy_uj", std::to_string(energy_uj));
        r.write(dir + "max_energy_range_uj", std::to_string(range_uj));
    }

    void set_energy(const fake_root& r, const std::string& zone, long long energy_uj)
    {
        r.write("sys/class/powercap/" + zone + "/energy_uj", std::to_string(energy_uj));
    }

    /// Jetson Orin-like INA3221 hwmon: three rails, voltage (mV) and current (mA) each, on the chip
    /// at I2C `device` (AGX boards have a second one at 1-0041).
    void ina3221_hwmon(const fake_root& r, const std::string& hwmon, const std::vector<std::string>& labels,
                       const std::vector<std::pair<int, int>>& mv_ma, const std::string& device = "1-0040")
    {
        const std::string dir = "sys/bus/i2c/drivers/ina3221/" + device + "/hwmon/" + hwmon + "/";
        r.write(dir + "name", "ina3221");
        for (std::size_t i = 0; i < labels.size(); ++i)
        {
            const std::string n = std::to_string(i + 1);
            r.write(dir + "in" + n + "_label", labels[i]);
            r.write(dir + "in" + n + "_input", std::to_string(mv_ma[i].first));
            r.write(dir + "curr" + n + "_input", std::to_string(mv_ma[i].second));
        }
    }
} // namespace

TEST_CASE("RAPL: package zones matched by name, summed over sockets; mmio duplicate and subzones ignored")
{
    harness h;
    rapl_zone(h.root, "intel-rapl:0", "package-0", 1000000);
    rapl_zone(h.root, "intel-rapl:0:0", "core", 500000);
    rapl_zone(h.root, "intel-rapl:1", "package-1", 2000000);
    rapl_zone(h.root, "intel-rapl:1:0", "dram", 700000);
    rapl_zone(h.root, "intel-rapl-mmio:0", "package-0", 9000000); // the duplicate provider
    h.root.write("sys/class/powercap/intel-rapl/enabled", "1");      // the control type, not a zone

    auto m = en::meter::detect(h.options());
    CHECK(m.source() == "rapl package-0+package-1");
    CHECK(m.scope() == en::scope::package);
    CHECK(m.quality() == en::quality::measured);
    CHECK(m.min_window_seconds() == doctest::Approx(0.05));

    const en::reading r0 = m.read();
    h.now += 2.0;
    set_energy(h.root, "intel-rapl:0", 1000000 + 30000000);   // +30 J
    set_energy(h.root, "intel-rapl:1", 2000000 + 20000000);   // +20 J
    set_energy(h.root, "intel-rapl-mmio:0", 9000000 + 999000000);
    set_energy(h.root, "intel-rapl:0:0", 500000 + 99000000);
    const en::reading d = m.read() - r0;
    CHECK(d.valid);
    CHECK(d.joules == doctest::Approx(50.0));
    CHECK(d.seconds == doctest::Approx(2.0));
    CHECK(d.watts() == doctest::Approx(25.0));
    CHECK(d.scope == en::scope::package);
    CHECK(d.quality == en::quality::measured);

    SUBCASE("other zones by name")
    {
        en::options o = h.options();
        o.rapl_zones = "package,dram";
        CHECK(en::meter::detect(o).source() == "rapl package-0+package-1+dram");
        o.rapl_zones = "core";
        auto core = en::meter::detect(o);
        CHECK(core.source() == "rapl core");
        CHECK(core.scope() == en::scope::core);
    }
}

TEST_CASE("RAPL: a counter that wraps once is unwrapped with max_energy_range_uj")
{
    harness h;
    rapl_zone(h.root, "intel-rapl:0", "package-0", 900000, 1000000);
    auto m = en::meter::detect(h.options());
    const en::reading r0 = m.read();
    h.now += 1;
    set_energy(h.root, "intel-rapl:0", 100000); // 900000 -> wrap at 1000000 -> 100000: +0.2 J
    const en::reading d = m.read() - r0;
    CHECK(d.valid);
    CHECK(d.joules == doctest::Approx(0.2));
}

TEST_CASE("RAPL: many wraps across polls, two zones wrapping at different times")
{
    harness h;
    rapl_zone(h.root, "intel-rapl:0", "package-0", 900000, 1000000);
    rapl_zone(h.root, "intel-rapl:1", "package-1", 0, 4000000);
    auto m = en::meter::detect(h.options());
    const en::reading r0 = m.read();
    // zone 0 wraps at every poll (+0.4, +0.5, +0.4 J); zone 1 wraps once (+1.5, +1.5, +1.5 J).
    const long long zone0[] = {300000, 800000, 200000};
    const long long zone1[] = {1500000, 3000000, 500000};
    for (int i = 0; i < 3; ++i)
    {
        h.now += 1;
        set_energy(h.root, "intel-rapl:0", zone0[i]);
        set_energy(h.root, "intel-rapl:1", zone1[i]);
        m.poll(); // what the background thread does between reads
    }
    const en::reading d = m.read() - r0;
    CHECK(d.valid);
    CHECK(d.joules == doctest::Approx(1.3 + 4.5));
    CHECK(d.seconds == doctest::Approx(3.0));
}

TEST_CASE("RAPL: EACCES falls back to the next source and prints one line on granting access")
{
    harness h;
    rapl_zone(h.root, "intel-rapl:0", "package-0", 1000000);
    en::options o = h.options();
    int denied_reads = 0;
    // The seam the real reader reports errno through; chmod cannot deny root, this can.
    o.read_file = [&](const std::string& path) {
        if (path.size() >= 9 && path.compare(path.size() - 9, 9, "energy_uj") == 0)
        {
            ++denied_reads;
            en::file_result r;
            r.error_number = EACCES;
            return r;
        }
        return en::read_small_file(path);
    };
    auto m = en::meter::detect(o);
    CHECK(denied_reads >= 1);
    CHECK(m.quality() == en::quality::estimated);
    CHECK(m.source().find("estimate") == 0);
    REQUIRE(h.notices.size() == 1);
    CHECK(h.notices[0].find("chmod a+r") != std::string::npos);
    CHECK(h.notices[0].find("intel-rapl:*/energy_uj") != std::string::npos);
    CHECK(h.notices[0].find('\n') == std::string::npos);
    bool logged = false;
    for (const std::string& line : m.detection_log())
        logged = logged || line.find("Permission denied") != std::string::npos;
    CHECK(logged);
}

TEST_CASE("the default file reader reports EACCES for an unreadable file (as root: in a child that drops to nobody)")
{
    fake_root r;
    r.write("secret", "42");
    const std::string path = r.path() + "/secret";
    REQUIRE(::chmod(r.path().c_str(), 0755) == 0);
    REQUIRE(::chmod(path.c_str(), 0) == 0);
    if (::geteuid() != 0)
    {
        const en::file_result res = en::read_small_file(path);
        CHECK_FALSE(res.ok);
        CHECK(res.error_number == EACCES);
        return;
    }
    // Root reads any file whatever its mode: fork, drop to uid/gid 65534, and read there.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0)
    {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(2);
        const en::file_result res = en::read_small_file(path);
        ::_exit(!res.ok && res.error_number == EACCES ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2)
        MESSAGE("cannot drop root privileges here: EACCES is covered through the read_file seam only");
    else
        CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("missing files: a zone without max_energy_range_uj or energy_uj is not used")
{
    harness h;
    rapl_zone(h.root, "intel-rapl:0", "package-0", 1000);
    h.root.remove("sys/class/powercap/intel-rapl:0/max_energy_range_uj");
    auto m = en::meter::detect(h.options());
    CHECK(m.quality() == en::quality::estimated);
    CHECK(h.notices.empty()); // nothing was denied: no hint
    bool logged = false;
    for (const std::string& line : m.detection_log())
        logged = logged || line.find("max_energy_range_uj") != std::string::npos;
    CHECK(logged);

    SUBCASE("an empty tree gives the labelled estimate")
    {
        harness empty;
        auto e = en::meter::detect(empty.options());
        CHECK(e.quality() == en::quality::estimated);
        CHECK(e.source() == "estimate (default model: idle 10 W + 6 W/core)");
        CHECK(e.detection_log().size() == 4); // external, hwmon, rapl, perf
    }
}

TEST_CASE("hwmon: renumbered hwmonN still finds the same device by name")
{
    harness h;
    ina3221_hwmon(h.root, "hwmon3", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}, {{5000, 1000}, {5000, 300}, {5000, 200}});
    h.root.write("sys/class/hwmon/hwmon0/name", "k10temp");
    h.root.write("sys/class/hwmon/hwmon0/temp1_input", "40000");
    auto a = en::meter::detect(h.options());
    CHECK(a.source() == "hwmon ina3221 rail VDD_IN (power)");

    harness g; // after a reboot: another device took hwmon3, the INA3221 is hwmon7
    ina3221_hwmon(g.root, "hwmon7", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}, {{5000, 1000}, {5000, 300}, {5000, 200}});
    g.root.write("sys/class/hwmon/hwmon3/name", "amdgpu");
    g.root.write("sys/class/hwmon/hwmon3/power1_average", "90000000");
    auto b = en::meter::detect(g.options());
    CHECK(b.source() == "hwmon ina3221 rail VDD_IN (power)");
    CHECK(b.scope() == en::scope::board);
}

TEST_CASE("hwmon: the total rail is chosen by label; without one every rail is summed")
{
    harness h;
    ina3221_hwmon(h.root, "hwmon1", {"VDD_GPU_SOC", "VDD_CPU_CV", "POM_5V_IN"}, {{5000, 400}, {5000, 300}, {5000, 1500}});
    auto m = en::meter::detect(h.options());
    CHECK(m.source() == "hwmon ina3221 rail POM_5V_IN (power)");
    m.read();
    h.now += 1;
    CHECK((m.read()).joules == doctest::Approx(7.5)); // 5 V x 1.5 A for 1 s

    harness s;
    ina3221_hwmon(s.root, "hwmon1", {"VDD_GPU", "VDD_CPU"}, {{5000, 400}, {5000, 600}});
    auto sum = en::meter::detect(s.options());
    CHECK(sum.source() == "hwmon ina3221 sum of rails VDD_GPU+VDD_CPU (power)");
    s.now += 2;
    CHECK(sum.read().joules == doctest::Approx(10.0)); // (2 + 3) W for 2 s

    harness old; // L4T before 32.x: iio, rail_name_N, in_powerN_input in mW
    const std::string dir = "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0/";
    old.root.write(dir + "rail_name_0", "POM_5V_IN");
    old.root.write(dir + "in_power0_input", "3000");
    old.root.write(dir + "rail_name_1", "POM_5V_GPU");
    old.root.write(dir + "in_power1_input", "500");
    auto iio = en::meter::detect(old.options());
    CHECK(iio.source() == "hwmon ina3221x rail POM_5V_IN (power)");
    old.now += 4;
    CHECK(iio.read().joules == doctest::Approx(12.0));
}

namespace
{
    /// A file reader that denies (EACCES) every path ending in one of `suffixes`: chmod cannot
    /// deny root, the seam can (see the RAPL EACCES test).
    std::function<en::file_result(const std::string&)> denying(std::vector<std::string> suffixes, int& denied_reads)
    {
        return [suffixes, &denied_reads](const std::string& path) {
            for (const std::string& s : suffixes)
                if (path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0)
                {
                    ++denied_reads;
                    en::file_result r;
                    r.error_number = EACCES;
                    return r;
                }
            return en::read_small_file(path);
        };
    }
} // namespace

TEST_CASE("hwmon and iio: EACCES falls back to the next source and prints one line on granting access")
{
    SUBCASE("hwmon INA3221 currents denied")
    {
        harness h;
        ina3221_hwmon(h.root, "hwmon1", {"VDD_IN", "VDD_CPU_GPU_CV"}, {{5000, 1000}, {5000, 300}});
        en::options o = h.options();
        int denied_reads = 0;
        o.read_file = denying({"curr1_input", "curr2_input"}, denied_reads);
        auto m = en::meter::detect(o);
        CHECK(denied_reads >= 2);
        CHECK(m.quality() == en::quality::estimated);
        REQUIRE(h.notices.size() == 1);
        CHECK(h.notices[0].find("allow reading ") != std::string::npos);
        CHECK(h.notices[0].find("/hwmon1/curr") != std::string::npos);
        CHECK(h.notices[0].find("chmod a+r") != std::string::npos);
        CHECK(h.notices[0].find('\n') == std::string::npos);
        bool logged = false;
        for (const std::string& line : m.detection_log())
            logged = logged || (line.find("hwmon:") == 0 && line.find("permission denied") != std::string::npos);
        CHECK(logged);
    }
    SUBCASE("hwmon power*_input denied")
    {
        harness h;
        h.root.write("sys/class/hwmon/hwmon0/name", "power_meter");
        h.root.write("sys/class/hwmon/hwmon0/power1_input", "1000000");
        en::options o = h.options();
        int denied_reads = 0;
        o.read_file = denying({"power1_input"}, denied_reads);
        auto m = en::meter::detect(o);
        CHECK(m.quality() == en::quality::estimated);
        REQUIRE(h.notices.size() == 1);
        CHECK(h.notices[0].find("hwmon0/power1_input (chmod a+r") != std::string::npos);
    }
    SUBCASE("iio in_powerN_input denied")
    {
        harness h;
        const std::string dir = "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0/";
        h.root.write(dir + "rail_name_0", "POM_5V_IN");
        h.root.write(dir + "in_power0_input", "3000");
        en::options o = h.options();
        int denied_reads = 0;
        o.read_file = denying({"in_power0_input"}, denied_reads);
        auto m = en::meter::detect(o);
        CHECK(denied_reads >= 1);
        CHECK(m.quality() == en::quality::estimated);
        REQUIRE(h.notices.size() == 1);
        CHECK(h.notices[0].find("iio:device0/in_power0_input (chmod a+r") != std::string::npos);
    }
    SUBCASE("one readable rail is used, and nothing is printed")
    {
        harness h;
        ina3221_hwmon(h.root, "hwmon1", {"VDD_IN", "VDD_CPU_GPU_CV"}, {{5000, 1000}, {5000, 300}});
        en::options o = h.options();
        int denied_reads = 0;
        o.read_file = denying({"curr2_input"}, denied_reads);
        auto m = en::meter::detect(o);
        CHECK(m.source() == "hwmon ina3221 rail VDD_IN (power)");
        CHECK(h.notices.empty());
    }
}

TEST_CASE("hwmon and iio: missing files leave out the rail, or the device")
{
    SUBCASE("curr*_input without its in*_input")
    {
        harness h;
        ina3221_hwmon(h.root, "hwmon1", {"VDD_GPU", "VDD_CPU", "VDD_SOC"}, {{5000, 400}, {5000, 600}, {5000, 200}});
        h.root.remove("sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1/in2_input");
        auto m = en::meter::detect(h.options());
        CHECK(m.source() == "hwmon ina3221 sum of rails VDD_GPU+VDD_SOC (power)");
        h.now += 1;
        CHECK(m.read().joules == doctest::Approx(3.0)); // (2 + 1) W for 1 s: VDD_CPU is not read
        CHECK(h.notices.empty());

        harness all; // no voltage at all: no hwmon source, and nothing denied
        ina3221_hwmon(all.root, "hwmon1", {"VDD_IN"}, {{5000, 1000}});
        all.root.remove("sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1/in1_input");
        auto e = en::meter::detect(all.options());
        CHECK(e.quality() == en::quality::estimated);
        CHECK(all.notices.empty());
        CHECK(e.detection_log()[1] == "hwmon: no energy or power sensor");
    }
    SUBCASE("rail_name_N without its in_powerN_input")
    {
        harness h;
        const std::string dir = "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0/";
        h.root.write(dir + "rail_name_0", "POM_5V_GPU");
        h.root.write(dir + "in_power0_input", "500");
        h.root.write(dir + "rail_name_1", "POM_5V_CPU");
        h.root.write(dir + "rail_name_2", "POM_5V_SOC");
        h.root.write(dir + "in_power2_input", "1500");
        auto m = en::meter::detect(h.options());
        CHECK(m.source() == "hwmon ina3221x sum of rails POM_5V_GPU+POM_5V_SOC (power)");
        h.now += 2;
        CHECK(m.read().joules == doctest::Approx(4.0)); // (0.5 + 1.5) W for 2 s

        harness none; // the only rail unreadable: no hwmon source
        none.root.write(dir + "rail_name_0", "POM_5V_IN");
        auto e = en::meter::detect(none.options());
        CHECK(e.quality() == en::quality::estimated);
        CHECK(none.notices.empty());
    }
}

TEST_CASE("hwmon: two INA3221 chips are one board: the total rail on either, else every rail of both")
{
    SUBCASE("AGX Orin: no total rail; VIN_SYS_5V0 is one input among the rails, so all four are summed")
    {
        harness h;
        const std::vector<std::string> orin_0x40 = {"VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"};
        const std::vector<std::pair<int, int>> mv_ma = {{20000, 500}, {20000, 250}, {5000, 1000}};
        ina3221_hwmon(h.root, "hwmon2", orin_0x40, mv_ma);
        ina3221_hwmon(h.root, "hwmon1", {"VDDQ_VDD2_1V8AO"}, {{5000, 200}}, "1-0041");
        auto m = en::meter::detect(h.options());
        CHECK(m.source() ==
              "hwmon ina3221 (2 chips) sum of rails VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0+VDDQ_VDD2_1V8AO (power)");
        CHECK(m.scope() == en::scope::board);
        h.now += 1;
        CHECK(m.read().joules == doctest::Approx(10 + 5 + 5 + 1)); // W for 1 s

        harness g; // the same board after a reboot that swapped the hwmonN numbers
        ina3221_hwmon(g.root, "hwmon1", orin_0x40, mv_ma);
        ina3221_hwmon(g.root, "hwmon2", {"VDDQ_VDD2_1V8AO"}, {{5000, 200}}, "1-0041");
        CHECK(en::meter::detect(g.options()).source() == m.source());
    }
    SUBCASE("TX2: VDD_IN on the second chip is the total, whatever the first holds")
    {
        harness h;
        const std::vector<std::pair<int, int>> mv_ma = {{5000, 800}, {5000, 100}, {5000, 100}};
        ina3221_hwmon(h.root, "hwmon0", {"VDD_SYS_GPU", "VDD_SYS_SOC", "VDD_4V0_WIFI"}, mv_ma);
        ina3221_hwmon(h.root, "hwmon1", {"VDD_IN", "VDD_SYS_CPU", "VDD_SYS_DDR"}, mv_ma, "1-0041");
        auto m = en::meter::detect(h.options());
        CHECK(m.source() == "hwmon ina3221 (2 chips) rail VDD_IN (power)");
        h.now += 1;
        CHECK(m.read().joules == doctest::Approx(4.0));
    }
    SUBCASE("AGX Xavier, older iio layout: two devices, no total rail, all six summed")
    {
        harness h;
        const std::string a = "sys/bus/i2c/drivers/ina3221x/1-0040/iio:device0/";
        const std::string b = "sys/bus/i2c/drivers/ina3221x/1-0041/iio:device1/";
        const char* labels_a[] = {"GPU", "CPU", "SOC"};
        const char* labels_b[] = {"CV", "VDDRQ", "SYS5V"};
        for (int i = 0; i < 3; ++i)
        {
            h.root.write(a + "rail_name_" + std::to_string(i), labels_a[i]);
            h.root.write(a + "in_power" + std::to_string(i) + "_input", "1000");
            h.root.write(b + "rail_name_" + std::to_string(i), labels_b[i]);
            h.root.write(b + "in_power" + std::to_string(i) + "_input", "500");
        }
        auto m = en::meter::detect(h.options());
        CHECK(m.source() == "hwmon ina3221x (2 chips) sum of rails GPU+CPU+SOC+CV+VDDRQ+SYS5V (power)");
        h.now += 2;
        CHECK(m.read().joules == doctest::Approx(2 * (3 * 1.0 + 3 * 0.5)));
    }
}

TEST_CASE("hwmon: a power-only sensor is integrated with the trapezoid rule")
{
    harness h;
    h.root.write("sys/class/hwmon/hwmon2/name", "power_meter");
    h.root.write("sys/class/hwmon/hwmon2/power1_average", "2000000"); // 2 W
    auto m = en::meter::detect(h.options());
    CHECK(m.source() == "hwmon power_meter rail power1 (power)");
    CHECK(m.scope() == en::scope::wall);
    CHECK(m.min_window_seconds() >= 1.0);
    const en::reading r0 = m.read(); // t = 0: 2 W
    h.now += 1;
    h.root.write("sys/class/hwmon/hwmon2/power1_average", "4000000");
    m.poll(); // t = 1: 4 W -> (2 + 4) / 2 * 1 = 3 J
    h.now += 2;
    h.root.write("sys/class/hwmon/hwmon2/power1_average", "4000000");
    const en::reading d = m.read() - r0; // t = 3: 4 W -> + (4 + 4) / 2 * 2 = 8 J
    CHECK(d.valid);
    CHECK(d.joules == doctest::Approx(11.0));
    CHECK(d.seconds == doctest::Approx(3.0));
}

TEST_CASE("hwmon: energy counters are preferred and amd_energy sockets are summed")
{
    harness h;
    const std::string dir = "sys/class/hwmon/hwmon5/";
    h.root.write(dir + "name", "amd_energy");
    h.root.write(dir + "energy1_label", "Ecore000");
    h.root.write(dir + "energy1_input", "100");
    h.root.write(dir + "energy2_label", "Esocket0");
    h.root.write(dir + "energy2_input", "1000000");
    h.root.write(dir + "energy3_label", "Esocket1");
    h.root.write(dir + "energy3_input", "2000000");
    auto m = en::meter::detect(h.options());
    CHECK(m.source() == "hwmon amd_energy sockets (energy)");
    CHECK(m.scope() == en::scope::package);
    h.now += 1;
    h.root.write(dir + "energy2_input", "6000000");
    h.root.write(dir + "energy3_input", "3000000");
    h.root.write(dir + "energy1_input", "900000000");
    CHECK(m.read().joules == doctest::Approx(6.0));
}

TEST_CASE("perf: energy-pkg with its scale and unit, one counter per package in cpumask")
{
    harness h;
    const std::string dir = "sys/bus/event_source/devices/power/";
    h.root.write(dir + "type", "11");
    h.root.write(dir + "cpumask", "0,64");
    h.root.write(dir + "events/energy-pkg", "event=0x02");
    h.root.write(dir + "events/energy-pkg.scale", "2.3283064365386962890625e-10");
    h.root.write(dir + "events/energy-pkg.unit", "Joules");
    std::map<int, std::uint64_t> counts = {{0, 0}, {64, 0}};
    en::options o = h.options();
    std::vector<std::pair<std::uint32_t, std::uint64_t>> opened;
    o.open_perf_counter = [&](std::uint32_t type, std::uint64_t config, int cpu, int&) {
        opened.emplace_back(type, config);
        return std::function<bool(std::uint64_t&)>([&counts, cpu](std::uint64_t& c) {
            c = counts[cpu];
            return true;
        });
    };
    auto m = en::meter::detect(o);
    CHECK(m.source() == "perf power/energy-pkg (2 packages)");
    REQUIRE(opened.size() == 2);
    CHECK(opened[0] == std::make_pair(std::uint32_t(11), std::uint64_t(2)));
    counts[0] = 4294967296ull;     // 2^32 * 2^-32 = 1 J
    counts[64] = 3ull * 4294967296ull; // 3 J
    h.now += 1;
    CHECK(m.read().joules == doctest::Approx(4.0));

    SUBCASE("EACCES from perf_event_open falls back with one hint line")
    {
        en::options denied = h.options();
        denied.open_perf_counter = [](std::uint32_t, std::uint64_t, int, int& error_number) {
            error_number = EACCES;
            return std::function<bool(std::uint64_t&)>();
        };
        h.notices.clear();
        auto e = en::meter::detect(denied);
        CHECK(e.quality() == en::quality::estimated);
        REQUIRE(h.notices.size() == 1);
        CHECK(h.notices[0].find("perf_event_paranoid") != std::string::npos);
    }
}

TEST_CASE("external: constant watts, a file of watts, a command of joules; bad values are errors")
{
    harness h;
    en::options o = h.options();
    o.watts = 12.5;
    auto w = en::meter::detect(o);
    CHECK(w.quality() == en::quality::estimated); // stated, not measured
    CHECK(w.scope() == en::scope::wall);
    h.now += 2;
    CHECK(w.read().joules == doctest::Approx(25.0));

    SUBCASE("the external meter's scope is the user's to state (a USB-C meter at a board's input)")
    {
        en::options board = h.options();
        board.watts = 7;
        board.external_scope = en::scope::board;
        auto b = en::meter::detect(board);
        CHECK(b.scope() == en::scope::board);
        CHECK(b.read().scope == en::scope::board);
        h.root.write("pmic.txt", "6.5 W");
        en::options pmic = h.options();
        pmic.file = h.root.path() + "/pmic.txt";
        pmic.external_scope = en::scope::board;
        auto p = en::meter::detect(pmic);
        CHECK(p.quality() == en::quality::measured);
        CHECK(p.scope() == en::scope::board);
        // It labels the external meter only: a detected sensor keeps its own scope.
        harness ina;
        ina3221_hwmon(ina.root, "hwmon1", {"VDD_IN"}, {{5000, 1000}});
        en::options sensor = ina.options();
        sensor.external_scope = en::scope::dram;
        CHECK(en::meter::detect(sensor).scope() == en::scope::board);
    }

    h.root.write("meter.txt", "800 mW");
    en::options f = h.options();
    f.file = h.root.path() + "/meter.txt";
    auto file_meter = en::meter::detect(f);
    CHECK(file_meter.quality() == en::quality::measured);
    h.now += 1;
    h.root.write("meter.txt", "1200mW");
    CHECK(file_meter.read().joules == doctest::Approx(1.0)); // (0.8 + 1.2) / 2 W for 1 s

    en::options c = h.options();
    std::vector<std::string> outputs = {"100 J", "100 J", "150 J", "oops"};
    std::size_t calls = 0;
    c.command = "read-my-meter";
    c.run_command = [&](const std::string& cmd) {
        en::file_result r;
        r.ok = cmd == "read-my-meter";
        r.text = outputs[std::min(calls++, outputs.size() - 1)];
        return r;
    };
    auto cmd = en::meter::detect(c);
    CHECK(cmd.source() == "external command 'read-my-meter' (joules)");
    const en::reading r0 = cmd.read(); // "150 J" (detect probed, then took its baseline: "100 J")
    CHECK(r0.joules == doctest::Approx(50.0));
    h.now += 1;
    const en::reading bad = cmd.read(); // "oops": the meter failed
    CHECK_FALSE(bad.valid);
    CHECK((bad - r0).valid == false);

    en::options neg = h.options();
    neg.watts = -3;
    CHECK_THROWS_WITH_AS(en::meter::detect(neg), "joule::energy::meter::detect: watts (-3) must be a finite number > 0",
                         joule::error);
    en::options two = h.options();
    two.watts = 5;
    two.file = "x";
    CHECK_THROWS_WITH_AS(en::meter::detect(two), doctest::Contains("give one external meter"), joule::error);
    en::options junk = h.options();
    h.root.write("junk.txt", "twelve");
    junk.file = h.root.path() + "/junk.txt";
    CHECK_THROWS_WITH_AS(en::meter::detect(junk), doctest::Contains("gave 'twelve', not watts or joules"), joule::error);
    en::options missing = h.options();
    missing.file = h.root.path() + "/nope.txt";
    CHECK_THROWS_WITH_AS(en::meter::detect(missing), doctest::Contains("cannot be read"), joule::error);
    en::options only = h.options();
    only.only = "rapl";
    CHECK_THROWS_WITH_AS(en::meter::detect(only), doctest::Contains("only = rapl but rapl: no zone"), joule::error);
}

TEST_CASE("a sensor failing mid-run marks readings and spanning intervals invalid, later ones valid")
{
    harness h;
    rapl_zone(h.root, "intel-rapl:0", "package-0", 1000000);
    auto m = en::meter::detect(h.options());
    const en::reading r0 = m.read();
    h.now += 1;
    h.root.remove("sys/class/powercap/intel-rapl:0/energy_uj");
    const en::reading broken = m.read();
    CHECK_FALSE(broken.valid);
    CHECK(broken.error.find("energy_uj") != std::string::npos);
    h.now += 1;
    set_energy(h.root, "intel-rapl:0", 9000000);
    const en::reading r1 = m.read(); // recovered: the new baseline
    CHECK(r1.valid);
    CHECK_FALSE((r1 - r0).valid); // spans the failure: unknown energy
    h.now += 1;
    set_energy(h.root, "intel-rapl:0", 11000000);
    const en::reading d = m.read() - r1;
    CHECK(d.valid);
    CHECK(d.joules == doctest::Approx(2.0));
}

TEST_CASE("estimate: the stated model, settable, and parse errors name the field")
{
    harness h;
    en::options o = h.options();
    o.only = "estimate";
    o.model = en::parse_power_model("idle=5,core=2.5,pj_flop=10,pj_byte=100,cores=2");
    auto m = en::meter::detect(o);
    CHECK(m.quality() == en::quality::estimated);
    CHECK(m.source() == "estimate (model: idle 5 W + 2.5 W/core + 10 pJ/flop + 100 pJ/byte)");
    h.now += 2;
    m.add_work(1e12, 1e10); // 10 J + 1 J
    CHECK(m.read().joules == doctest::Approx((5 + 2.5 * 2) * 2 + 10 + 1));
    CHECK(en::estimate_joules(o.model, 1.0, 4, 0, 0) == doctest::Approx(15.0));
    o.model = en::parse_power_model("idle=12");
    CHECK(en::meter::detect(o).source() == "estimate (model: idle 12 W + 6 W/core)"); // stated: not "default"
    o.model = en::power_model{};
    CHECK(o.model.is_default());
    CHECK(en::meter::detect(o).source() == "estimate (default model: idle 10 W + 6 W/core)");
    CHECK_THROWS_WITH_AS(en::parse_power_model("idle=abc"), doctest::Contains("'idle=abc' is not key=value"),
                         joule::error);
    CHECK_THROWS_WITH_AS(en::parse_power_model("tdp=65"), doctest::Contains("unknown key 'tdp'"), joule::error);
}

TEST_CASE("a real background poller samples without the test's help")
{
    harness h;
    h.root.write("sys/class/hwmon/hwmon0/name", "power_meter");
    h.root.write("sys/class/hwmon/hwmon0/power1_input", "1000000");
    en::options o = h.options();
    o.clock = en::monotonic_seconds;
    o.background_polling = true;
    o.poll_seconds = 0.005;
    auto m = en::meter::detect(o);
    CHECK(m.poll_seconds() == doctest::Approx(0.005));
    ::usleep(30000);
    const en::reading r = m.read();
    CHECK(r.valid);
    CHECK(r.joules == doctest::Approx(r.seconds).epsilon(0.01)); // 1 W
}
