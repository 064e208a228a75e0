package workday

// humanResourcesWSDL is the simulated service's description, written for
// Patchbay in the shape of Workday's (document/literal, elements
// qualified, references as lists of IDs with a wd:type attribute).
// {{address}} is replaced with the endpoint on the simulator.
const humanResourcesWSDL = `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:wd="urn:com.workday/bsvc"
    targetNamespace="urn:com.workday/bsvc" name="Human_Resources">
  <wsdl:documentation>Human resources of the Patchbay simulator.</wsdl:documentation>
  <wsdl:types>
    <xsd:schema elementFormDefault="qualified" attributeFormDefault="qualified" targetNamespace="urn:com.workday/bsvc">
      <xsd:attribute name="version" type="xsd:string"/>
      <xsd:attribute name="type" type="xsd:string"/>
      <xsd:element name="Get_Workers_Request" type="wd:Get_Workers_RequestType"/>
      <xsd:element name="Get_Workers_Response" type="wd:Get_Workers_ResponseType"/>
      <xsd:complexType name="Get_Workers_RequestType">
        <xsd:sequence>
          <xsd:element name="Request_References" type="wd:Worker_Request_ReferencesType" minOccurs="0"/>
          <xsd:element name="Response_Filter" type="wd:Response_FilterType" minOccurs="0"/>
          <xsd:element name="Response_Group" type="wd:Worker_Response_GroupType" minOccurs="0"/>
        </xsd:sequence>
        <xsd:attribute ref="wd:version"/>
      </xsd:complexType>
      <xsd:complexType name="Worker_Request_ReferencesType">
        <xsd:sequence><xsd:element name="Worker_Reference" type="wd:WorkerObjectType" maxOccurs="unbounded"/></xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="WorkerObjectType">
        <xsd:sequence><xsd:element name="ID" type="wd:ObjectIDType" minOccurs="0" maxOccurs="unbounded"/></xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="ObjectIDType">
        <xsd:simpleContent><xsd:extension base="xsd:string"><xsd:attribute ref="wd:type" use="required"/></xsd:extension></xsd:simpleContent>
      </xsd:complexType>
      <xsd:complexType name="Response_FilterType">
        <xsd:sequence>
          <xsd:element name="Page" type="xsd:decimal" minOccurs="0"/>
          <xsd:element name="Count" type="xsd:decimal" minOccurs="0"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Worker_Response_GroupType">
        <xsd:sequence>
          <xsd:element name="Include_Personal_Information" type="xsd:boolean" minOccurs="0"/>
          <xsd:element name="Include_Employment_Information" type="xsd:boolean" minOccurs="0"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Get_Workers_ResponseType">
        <xsd:sequence>
          <xsd:element name="Response_Results" type="wd:Response_ResultsType" minOccurs="0"/>
          <xsd:element name="Response_Data" type="wd:Worker_Response_DataType" minOccurs="0"/>
        </xsd:sequence>
        <xsd:attribute ref="wd:version"/>
      </xsd:complexType>
      <xsd:complexType name="Response_ResultsType">
        <xsd:sequence>
          <xsd:element name="Total_Results" type="xsd:decimal" minOccurs="0"/>
          <xsd:element name="Total_Pages" type="xsd:decimal" minOccurs="0"/>
          <xsd:element name="Page_Results" type="xsd:decimal" minOccurs="0"/>
          <xsd:element name="Page" type="xsd:decimal" minOccurs="0"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Worker_Response_DataType">
        <xsd:sequence><xsd:element name="Worker" type="wd:WorkerType" minOccurs="0" maxOccurs="unbounded"/></xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="WorkerType">
        <xsd:sequence>
          <xsd:element name="Worker_Reference" type="wd:WorkerObjectType" minOccurs="0"/>
          <xsd:element name="Worker_Data" type="wd:Worker_DataType" minOccurs="0"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Worker_DataType">
        <xsd:sequence>
          <xsd:element name="Worker_ID" type="xsd:string" minOccurs="0"/>
          <xsd:element name="User_ID" type="xsd:string" minOccurs="0"/>
          <xsd:element name="Personal_Data" type="wd:Personal_DataType" minOccurs="0"/>
          <xsd:element name="Employment_Data" type="wd:Employment_DataType" minOccurs="0"/>
          <xsd:element name="Active" type="xsd:boolean" minOccurs="0"/>
          <xsd:element name="Termination_Date" type="xsd:date" minOccurs="0" nillable="true"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Personal_DataType">
        <xsd:sequence>
          <xsd:element name="Name_Data" minOccurs="0">
            <xsd:complexType><xsd:sequence>
              <xsd:element name="First_Name" type="xsd:string" minOccurs="0"/>
              <xsd:element name="Last_Name" type="xsd:string" minOccurs="0"/>
            </xsd:sequence></xsd:complexType>
          </xsd:element>
          <xsd:element name="Contact_Data" minOccurs="0">
            <xsd:complexType><xsd:sequence>
              <xsd:element name="Email_Address_Data" type="wd:Email_Address_DataType" minOccurs="0" maxOccurs="unbounded"/>
            </xsd:sequence></xsd:complexType>
          </xsd:element>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Email_Address_DataType">
        <xsd:sequence>
          <xsd:element name="Email_Address" type="xsd:string" minOccurs="0"/>
          <xsd:element name="Usage_Data" minOccurs="0" maxOccurs="unbounded">
            <xsd:complexType>
              <xsd:sequence>
                <xsd:element name="Type_Data" minOccurs="0" maxOccurs="unbounded">
                  <xsd:complexType>
                    <xsd:sequence><xsd:element name="Type_Reference" type="wd:WorkerObjectType" minOccurs="0"/></xsd:sequence>
                    <xsd:attribute name="Primary" type="xsd:boolean"/>
                  </xsd:complexType>
                </xsd:element>
              </xsd:sequence>
              <xsd:attribute name="Public" type="xsd:boolean"/>
            </xsd:complexType>
          </xsd:element>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Employment_DataType">
        <xsd:sequence>
          <xsd:element name="Worker_Job_Data" minOccurs="0" maxOccurs="unbounded">
            <xsd:complexType><xsd:sequence>
              <xsd:element name="Position_Data" minOccurs="0">
                <xsd:complexType><xsd:sequence>
                  <xsd:element name="Business_Title" type="xsd:string" minOccurs="0"/>
                  <xsd:element name="Hire_Date" type="xsd:date" minOccurs="0"/>
                </xsd:sequence></xsd:complexType>
              </xsd:element>
            </xsd:sequence></xsd:complexType>
          </xsd:element>
        </xsd:sequence>
      </xsd:complexType>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="Get_Workers_RequestInput"><wsdl:part name="body" element="wd:Get_Workers_Request"/></wsdl:message>
  <wsdl:message name="Get_Workers_ResponseOutput"><wsdl:part name="body" element="wd:Get_Workers_Response"/></wsdl:message>
  <wsdl:portType name="Human_ResourcesPort">
    <wsdl:operation name="Get_Workers">
      <wsdl:input message="wd:Get_Workers_RequestInput"/>
      <wsdl:output message="wd:Get_Workers_ResponseOutput"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="Human_ResourcesBinding" type="wd:Human_ResourcesPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Get_Workers">
      <soap:operation soapAction=""/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="Human_ResourcesService">
    <wsdl:port name="Human_Resources" binding="wd:Human_ResourcesBinding"><soap:address location="{{address}}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`
