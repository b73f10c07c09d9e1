import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
import { ipFunctions, parseCIDR, parseIP } from "./index.js";

describe("ip and cidr library", () => {
  it("gives every documented result", () => {
    for (const doc of ipFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // k8s.io/apiserver/pkg/cel/library/ip.go and cidr.go documentation and tests
  it.each([
    ["isIP('127.0.0.1')", true],
    ["isIP('::1')", true],
    ["isIP('127.0.0.256')", false],
    ["isIP(':::1')", false],
    ["isIP('01.2.3.4')", false],
    ["isIP('1.2.3')", false],
    ["isIP('1.2.3.4.5')", false],
    ["isIP('::ffff:1.2.3.4')", false],
    ["isIP('fe80::1%eth0')", false],
    ["isIP('2001:db8::1.2.3.4')", true],
    ["isIP('1::2::3')", false],
    ["isIP('12345::1')", false],
    ["isIP('')", false],
    ["ip.isCanonical('127.0.0.1')", true],
    ["ip.isCanonical('2001:db8::abcd')", true],
    ["ip.isCanonical('2001:DB8::ABCD')", false],
    ["ip.isCanonical('2001:db8::0:0:0:abcd')", false],
    ["ip.isCanonical('2001:db8:0:0:1:0:0:1')", false],
    ["ip.isCanonical('2001:db8::1:0:0:1')", true],
    ["ip.isCanonical('2001:db8:0:1:1:1:1:1')", true],
    ["ip('127.0.0.1').family() == 4", true],
    ["ip('::1').family() == 6", true],
    ["ip('0.0.0.0').isUnspecified()", true],
    ["ip('127.0.0.1').isUnspecified()", false],
    ["ip('::').isUnspecified()", true],
    ["ip('::1').isUnspecified()", false],
    ["ip('127.0.0.1').isLoopback()", true],
    ["ip('192.168.0.1').isLoopback()", false],
    ["ip('::1').isLoopback()", true],
    ["ip('2001:db8::abcd').isLoopback()", false],
    ["ip('224.0.0.1').isLinkLocalMulticast()", true],
    ["ip('224.0.1.1').isLinkLocalMulticast()", false],
    ["ip('ff02::1').isLinkLocalMulticast()", true],
    ["ip('fd00::1').isLinkLocalMulticast()", false],
    ["ip('169.254.169.254').isLinkLocalUnicast()", true],
    ["ip('192.168.0.1').isLinkLocalUnicast()", false],
    ["ip('fe80::1').isLinkLocalUnicast()", true],
    ["ip('fd80::1').isLinkLocalUnicast()", false],
    ["ip('192.168.0.1').isGlobalUnicast()", true],
    ["ip('255.255.255.255').isGlobalUnicast()", false],
    ["ip('2001:db8::abcd').isGlobalUnicast()", true],
    ["ip('ff00::1').isGlobalUnicast()", false],
    ["ip('::1') == ip('0:0::1')", true],
    ["ip('1.2.3.4') == ip('1.2.3.5')", false],
    ["string(ip('::fffe:0:1'))", "::fffe:0:1"],
    ["string(ip('1:0:0:2:0:0:0:3'))", "1:0:0:2::3"],
    ["string(ip('1:0:2:0:3:0:4:0'))", "1:0:2:0:3:0:4:0"],
    ["isCIDR('192.168.0.0/16')", true],
    ["isCIDR('::1/128')", true],
    ["isCIDR('192.168.0.0/33')", false],
    ["isCIDR('::1/129')", false],
    ["isCIDR('192.168.0.0/016')", false],
    ["isCIDR('192.168.0.0')", false],
    ["isCIDR('::ffff:1.2.3.4/120')", false],
    ["cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", true],
    ["cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", false],
    ["cidr('192.168.0.0/24').containsIP('192.168.0.1')", true],
    ["cidr('192.168.0.0/24').containsIP('192.168.1.1')", false],
    ["cidr('0.0.0.0/0').containsIP('::1')", false],
    ["cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))", true],
    ["cidr('192.168.1.0/24').containsCIDR(cidr('192.168.2.0/24'))", false],
    ["cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", true],
    ["cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')", false],
    ["cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/25'))", true],
    ["cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/23'))", false],
    ["cidr('2001:db8::/32').containsIP(ip('2001:db8::1'))", true],
    ["cidr('2001:db8::/32').containsIP(ip('2001:dc8::1'))", false],
    ["cidr('2001:db8::/32').containsCIDR(cidr('2001:db8::/33'))", true],
    ["cidr('2001:db8::/32').containsCIDR(cidr('2001:db8::/31'))", false],
    ["cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", true],
    ["cidr('192.168.0.1/24').ip().family()", 4n],
    ["cidr('::1/128').ip() == ip('::1')", true],
    ["cidr('::1/128').ip().family()", 6n],
    ["cidr('192.168.0.0/24').masked() == cidr('192.168.0.0/24')", true],
    ["cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", true],
    ["cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()", true],
    ["cidr('192.168.0.1/24') == cidr('192.168.0.1/24').masked()", false],
    ["cidr('2001:db8:1::/32').masked() == cidr('2001:db8::/32')", true],
    ["cidr('10.1.2.3/12').masked() == cidr('10.0.0.0/12')", true],
    ["cidr('192.168.0.0/16').prefixLength()", 16n],
    ["cidr('::1/128').prefixLength()", 128n],
    ["string(cidr('192.168.0.0/24'))", "192.168.0.0/24"],
    ["string(cidr('2001:DB8::/32'))", "2001:db8::/32"],
    ["type(cidr('192.168.0.0/24')) == net.CIDR", true],
    ["type(ip('192.168.0.1')) == net.IP", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("reports Kubernetes' messages", () => {
    expect(evalError("ip('127.0.0.256')")).toBe(
      'IP Address "127.0.0.256" parse error during conversion from string: ParseAddr("127.0.0.256"): IPv4 field has value >255',
    );
    expect(evalError("ip('fe80::1%eth0')")).toBe('IP address "fe80::1%eth0" with zone value is not allowed');
    expect(evalError("ip('::ffff:1.2.3.4')")).toBe(
      'IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed',
    );
    expect(evalError("ip.isCanonical('x')")).toMatch(/parse error during conversion/);
    expect(evalError("cidr('192.168.0.0/')")).toBe(
      'network address parse error during conversion from string: netip.ParsePrefix("192.168.0.0/"): bad bits after slash: ""',
    );
    expect(evalError("cidr('::1/129')")).toMatch(/prefix length out of range/);
    expect(evalError("cidr('192.168.0.0/24').containsIP('nope')")).toMatch(/parse error/);
    expect(evalError("cidr(192168)")).toMatch(/no matching overload/);
  });

  it("parses every IPv6 shape netip accepts", () => {
    expect(parseIP("::").toString()).toBe("::");
    expect(parseIP("1::").toString()).toBe("1::");
    expect(parseIP("::2:3").toString()).toBe("::2:3");
    expect(parseIP("0:0:0:0:0:0:0:1").toString()).toBe("::1");
    expect(parseIP("2001:0db8:0000:0000:0000:0000:0000:0001").toString()).toBe("2001:db8::1");
    expect(() => parseIP("1:2:3:4:5:6:7:8:9")).toThrow();
    expect(() => parseIP("1:2:3:4:5:6:7::8")).toThrow(/at least one field of zeros/);
    expect(() => parseIP("1:2:3")).toThrow(/too short/);
    expect(() => parseIP("1:2:3:4:5:6:1.2.3.4:5")).toThrow();
    expect(parseCIDR("10.0.0.0/8").toString()).toBe("10.0.0.0/8");
  });
});
