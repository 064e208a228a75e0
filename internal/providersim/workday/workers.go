package workday

import (
	"fmt"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// worker is one generated worker.
type worker struct {
	wid, employeeID, userID, first, last, email, title, hired string
	active                                                    bool
	// secondEmail is set for some workers, so lists of one and of two
	// both occur.
	secondEmail string
}

var firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken"}
var lastNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Thompson"}
var titles = []string{"Engineer", "Analyst", "Manager", "Designer", "Recruiter"}

// workers makes a tenant's workers from the seed, by Employee_ID.
func (p *Provider) workers(tenant string) []worker {
	rng := p.s.Rand("workday/" + tenant + "/workers")
	out := make([]worker, p.opts.Workers)
	for i := range out {
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		h := sim.Hash("workday-worker", tenant, fmt.Sprint(i))
		wk := worker{
			wid:        fmt.Sprintf("%016x%016x", h, h>>3),
			employeeID: fmt.Sprint(21001 + i),
			userID:     strings.ToLower(first[:1]+last) + "@" + tenant,
			first:      first, last: last,
			email:  strings.ToLower(first+"."+last) + fmt.Sprintf("%d@%s.example.com", i, tenant),
			title:  titles[rng.IntN(len(titles))],
			hired:  fmt.Sprintf("20%02d-%02d-%02d", 10+rng.IntN(14), 1+rng.IntN(12), 1+rng.IntN(28)),
			active: i%7 != 6,
		}
		if i%3 == 0 {
			wk.secondEmail = strings.ToLower(first) + fmt.Sprintf("%d@home.example.com", i)
		}
		out[i] = wk
	}
	return out
}

func findWorker(all []worker, id idRef) (worker, bool) {
	for _, wk := range all {
		if (id.Type == "Employee_ID" && wk.employeeID == strings.TrimSpace(id.Value)) || (id.Type == "WID" && wk.wid == strings.TrimSpace(id.Value)) {
			return wk, true
		}
	}
	return worker{}, false
}

func (wk worker) write(b *strings.Builder) {
	active := "0"
	if wk.active {
		active = "1"
	}
	fmt.Fprintf(b, `<wd:Worker><wd:Worker_Reference><wd:ID wd:type="WID">%s</wd:ID><wd:ID wd:type="Employee_ID">%s</wd:ID></wd:Worker_Reference>`, wk.wid, wk.employeeID)
	fmt.Fprintf(b, `<wd:Worker_Data><wd:Worker_ID>%s</wd:Worker_ID><wd:User_ID>%s</wd:User_ID>`, wk.employeeID, xmlText(wk.userID))
	fmt.Fprintf(b, `<wd:Personal_Data><wd:Name_Data><wd:First_Name>%s</wd:First_Name><wd:Last_Name>%s</wd:Last_Name></wd:Name_Data><wd:Contact_Data>`, wk.first, wk.last)
	fmt.Fprintf(b, `<wd:Email_Address_Data><wd:Email_Address>%s</wd:Email_Address><wd:Usage_Data wd:Public="1"><wd:Type_Data wd:Primary="1"><wd:Type_Reference><wd:ID wd:type="Communication_Usage_Type_ID">WORK</wd:ID></wd:Type_Reference></wd:Type_Data></wd:Usage_Data></wd:Email_Address_Data>`, xmlText(wk.email))
	if wk.secondEmail != "" {
		fmt.Fprintf(b, `<wd:Email_Address_Data><wd:Email_Address>%s</wd:Email_Address></wd:Email_Address_Data>`, xmlText(wk.secondEmail))
	}
	b.WriteString(`</wd:Contact_Data></wd:Personal_Data>`)
	fmt.Fprintf(b, `<wd:Employment_Data><wd:Worker_Job_Data><wd:Position_Data><wd:Business_Title>%s</wd:Business_Title><wd:Hire_Date>%s</wd:Hire_Date></wd:Position_Data></wd:Worker_Job_Data></wd:Employment_Data>`, wk.title, wk.hired)
	fmt.Fprintf(b, `<wd:Active>%s</wd:Active><wd:Termination_Date xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></wd:Worker_Data></wd:Worker>`, active)
}
