// Package workday simulates a SOAP service in the style of Workday's Web
// Services (Human_Resources, Get_Workers), for the provider simulator and
// the tests of the functions runtime's soap module. The WSDL is written
// for Patchbay, small, not Workday's.
//
// # What is simulated
//
//   - GET /workday/wsdl/Human_Resources.wsdl: the service's WSDL 1.1
//     (document/literal, target namespace urn:com.workday/bsvc, a list
//     element Worker with maxOccurs="unbounded", IDs with a wd:type
//     attribute). GET /workday/wsdl/oversized.wsdl is a document of 33
//     MiB, for tests of WSDL size bounds.
//   - POST /workday/ccx/service/{tenant}/Human_Resources/{version}: the
//     SOAP 1.1 endpoint of any tenant. Every request must carry a
//     WS-Security UsernameToken (PasswordText) of an account; without
//     one, or with wrong credentials, the answer is a SOAP Fault
//     (faultcode SOAP-ENV:Client.authenticationError, HTTP 500). The
//     account is DefaultUsername / DefaultPassword after a reset.
//   - Get_Workers: Request_References/Worker_Reference/ID (wd:type
//     Employee_ID or WID) answers that worker; an unknown ID is Workday's
//     validation Fault (SOAP-ENV:Client.validationError, HTTP 500, the
//     detail a wd:Validation_Fault). Otherwise Response_Filter's Page and
//     Count (default 1 and 100, Count at most 999) page through
//     Options.Workers workers ordered by Employee_ID, with Response_Results
//     (Total_Results, Total_Pages, Page_Results, Page). Any other operation
//     is a SOAP-ENV:Client Fault.
//
// Each request's log entry carries the notes operation=<name> and
// http_basic=present|absent (whether an Authorization: Basic header came
// along, as the proxy adds for a BASIC connection).
package workday
