// What every operation shares: reading request members (AWS's validation and
// serialization errors, word for word), ARN and name checks, tag lists.
// These are about the API's shapes, so the stack runs on a MemStore.

#include <gtest/gtest.h>

#include "api/aws_testing.h"

namespace stepd::api::testing {
namespace {

StackOptions OnMemStore() {
  StackOptions options;
  options.sqlite = false;
  return options;
}

class AwsRequestMembers : public ::testing::Test {
 protected:
  AwsStack stack_{OnMemStore()};
};

// --- Required members and lengths: ValidationException ---------------------------

TEST_F(AwsRequestMembers, ListsEveryMissingRequiredMemberInOneValidationError) {
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine")),
            ValidationError("3 validation errors detected: "
                            "Value null at 'name' failed to satisfy constraint: Member must not be "
                            "null; "
                            "Value null at 'definition' failed to satisfy constraint: Member must "
                            "not be null; "
                            "Value null at 'roleArn' failed to satisfy constraint: Member must not "
                            "be null"));
}

TEST_F(AwsRequestMembers, TakesAJsonNullAsMissing) {
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeExecution", {{"executionArn", nullptr}})),
            ValidationError("1 validation error detected: Value null at 'executionArn' failed to "
                            "satisfy constraint: Member must not be null"));
}

TEST_F(AwsRequestMembers, QuotesATooLongValueWithItsLimit) {
  const std::string name(81, 'n');
  EXPECT_EQ(ErrorOf(stack_.Call("CreateActivity", {{"name", name}})),
            ValidationError("1 validation error detected: Value '" + name +
                            "' at 'name' failed to satisfy constraint: Member must have length "
                            "less than or equal to 80"));
}

TEST_F(AwsRequestMembers, QuotesATooShortValueWithItsLimit) {
  EXPECT_EQ(ErrorOf(stack_.Call("CreateActivity", {{"name", ""}})),
            ValidationError("1 validation error detected: Value '' at 'name' failed to satisfy "
                            "constraint: Member must have length greater than or equal to 1"));
}

TEST_F(AwsRequestMembers, CountsLengthsInCharactersNotBytes) {
  std::string name;
  for (int i = 0; i < 80; ++i) name += "\xC3\xA9";  // é, two bytes each
  AwsAnswer created = stack_.Call("CreateActivity", {{"name", name}});
  EXPECT_EQ(created.status, 200) << created.raw;
  EXPECT_EQ(created.body.value("activityArn", ""), ActivityArn(name));
  EXPECT_EQ(stack_.Call("CreateActivity", {{"name", name + "\xC3\xA9"}}).status, 400);
}

TEST_F(AwsRequestMembers, NeverQuotesASensitiveMember) {
  EXPECT_EQ(ErrorOf(stack_.Call(
                "CreateStateMachine",
                {{"name", std::string(81, 'n')}, {"definition", ""}, {"roleArn", kRoleArn}})),
            ValidationError("2 validation errors detected: Value '" + std::string(81, 'n') +
                            "' at 'name' failed to satisfy constraint: Member must have length "
                            "less than or equal to 80; Value at 'definition' failed to satisfy "
                            "constraint: Member must have length greater than or equal to 1"));
}

TEST_F(AwsRequestMembers, RefusesAnExecutionInputOver256KiBWithoutQuotingIt) {
  const std::string machine = stack_.CreateMachine("m", kPassDefinition);
  const std::string input = "\"" + std::string(262143, 'x') + "\"";  // 262145 bytes
  EXPECT_EQ(
      ErrorOf(stack_.Call("StartExecution", {{"stateMachineArn", machine}, {"input", input}})),
      ValidationError("1 validation error detected: Value at 'input' failed to satisfy "
                      "constraint: Member must have length less than or equal to 262144"));
}

TEST_F(AwsRequestMembers, RefusesATaskOutputOver256KiBWithoutQuotingIt) {
  const std::string output = "\"" + std::string(262143, 'x') + "\"";
  EXPECT_EQ(ErrorOf(stack_.Call("SendTaskSuccess",
                                {{"taskToken", std::string(64, 'a')}, {"output", output}})),
            ValidationError("1 validation error detected: Value at 'output' failed to satisfy "
                            "constraint: Member must have length less than or equal to 262144"));
}

TEST_F(AwsRequestMembers, ChecksIntegerRanges) {
  EXPECT_EQ(ErrorOf(stack_.Call("ListStateMachines", {{"maxResults", 1001}})),
            ValidationError("1 validation error detected: Value '1001' at 'maxResults' failed to "
                            "satisfy constraint: Member must have value less than or equal to "
                            "1000"));
  EXPECT_EQ(ErrorOf(stack_.Call("ListActivities", {{"maxResults", -1}})),
            ValidationError("1 validation error detected: Value '-1' at 'maxResults' failed to "
                            "satisfy constraint: Member must have value greater than or equal to "
                            "0"));
}

TEST_F(AwsRequestMembers, ChecksTheLengthOfNextToken) {
  EXPECT_EQ(ErrorOf(stack_.Call("ListStateMachines", {{"nextToken", ""}})),
            ValidationError("1 validation error detected: Value '' at 'nextToken' failed to "
                            "satisfy constraint: Member must have length greater than or equal to "
                            "1"));
  const std::string long_token(1025, 't');
  EXPECT_EQ(ErrorOf(stack_.Call("ListActivities", {{"nextToken", long_token}})),
            ValidationError("1 validation error detected: Value '" + long_token +
                            "' at 'nextToken' failed to satisfy constraint: Member must have "
                            "length less than or equal to 1024"));
}

TEST_F(AwsRequestMembers, ListsTheAllowedValuesOfAnEnumInAwsOrder) {
  EXPECT_EQ(ErrorOf(stack_.Call("CreateStateMachine", {{"name", "m"},
                                                       {"definition", kPassDefinition},
                                                       {"roleArn", kRoleArn},
                                                       {"type", "BATCH"}})),
            ValidationError("1 validation error detected: Value 'BATCH' at 'type' failed to "
                            "satisfy constraint: Member must satisfy enum value set: [STANDARD, "
                            "EXPRESS]"));
  EXPECT_EQ(ErrorOf(stack_.Call("ListExecutions",
                                {{"stateMachineArn", MachineArn("m")}, {"statusFilter", "DONE"}})),
            ValidationError("1 validation error detected: Value 'DONE' at 'statusFilter' failed "
                            "to satisfy constraint: Member must satisfy enum value set: "
                            "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"));
}

// --- Member types: SerializationException ---------------------------------------

TEST_F(AwsRequestMembers, RefusesAMemberOfTheWrongJsonType) {
  const std::string execution = ExecutionArn("m", "e");
  struct Case {
    const char* operation;
    Json input;
    const char* message;
  };
  const Case cases[] = {
      {"CreateActivity", {{"name", 3}}, "Expected a string at 'name', got number"},
      {"CreateActivity", {{"name", {"a"}}}, "Expected a string at 'name', got array"},
      {"ListStateMachines",
       {{"maxResults", "5"}},
       "Expected an integer at 'maxResults', got string"},
      {"ListStateMachines", {{"maxResults", 1.5}}, "Expected an integer at 'maxResults', got 1.5"},
      {"GetExecutionHistory",
       {{"executionArn", execution}, {"reverseOrder", "yes"}},
       "Expected a boolean at 'reverseOrder', got string"},
      {"CreateActivity",
       {{"name", "a"}, {"tags", Json::object()}},
       "Expected an array at 'tags', got object"},
      {"CreateStateMachine",
       {{"name", "m"},
        {"definition", kPassDefinition},
        {"roleArn", kRoleArn},
        {"loggingConfiguration", Json::array()}},
       "Expected an object at 'loggingConfiguration', got array"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(stack_.Call(c.operation, c.input)),
              PlainError(400, "SerializationException", c.message))
        << c.operation << " " << c.input.dump();
  }
}

TEST_F(AwsRequestMembers, AWrongTypeWinsOverValidationErrors) {
  EXPECT_EQ(
      ErrorOf(stack_.Call("CreateStateMachine",
                          {{"name", std::string(81, 'n')}, {"definition", false}})),
      PlainError(400, "SerializationException", "Expected a string at 'definition', got boolean"));
}

// --- ARNs and names -------------------------------------------------------------------

TEST_F(AwsRequestMembers, RefusesWhatIsNotAStatesArn) {
  for (const std::string arn :
       {"nope", "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:us-east-1:123456789012:stateMachine:", "arn:aws:states::123456789012:x:y",
        "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m"}) {
    EXPECT_EQ(ErrorOf(stack_.Call("DescribeStateMachine", {{"stateMachineArn", arn}})),
              StatesError("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + arn + "'"))
        << arn;
  }
}

TEST_F(AwsRequestMembers, RefusesAnArnOfAnotherResourceType) {
  EXPECT_EQ(
      ErrorOf(stack_.Call("DescribeStateMachine", {{"stateMachineArn", ExecutionArn("m", "e")}})),
      StatesError("InvalidArn",
                  "Invalid Arn: 'Resource type not valid in this context: "
                  "execution'"));
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeExecution", {{"executionArn", MachineArn("m")}})),
            StatesError("InvalidArn",
                        "Invalid Arn: 'Resource type not valid in this context: "
                        "stateMachine'"));
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeActivity", {{"activityArn", MachineArn("m")}})),
            StatesError("InvalidArn",
                        "Invalid Arn: 'Resource type not valid in this context: "
                        "stateMachine'"));
}

TEST_F(AwsRequestMembers, RefusesNamesWithWhiteSpaceOrReservedCharacters) {
  for (const std::string& name :
       std::initializer_list<std::string>{"a b",
                                          "a\tb",
                                          "a<b",
                                          "a>b",
                                          "a{b",
                                          "a}b",
                                          "a[b",
                                          "a]b",
                                          "a?b",
                                          "a*b",
                                          "a\"b",
                                          "a#b",
                                          "a%b",
                                          "a\\b",
                                          "a^b",
                                          "a|b",
                                          "a~b",
                                          "a`b",
                                          "a$b",
                                          "a&b",
                                          "a,b",
                                          "a;b",
                                          "a:b",
                                          "a/b",
                                          "a\x01"
                                          "b",
                                          "a\x7f"
                                          "b",
                                          "a\xC2\x85"
                                          "b",  // U+0085, a C1 control
                                          "a\xC2\xA0"
                                          "b",  // U+00A0, no-break space
                                          "a\xE2\x80\x83"
                                          "b",  // U+2003, em space
                                          "a\xE2\x80\xA8"
                                          "b",  // U+2028, line separator
                                          "a\xE3\x80\x80"
                                          "b"}) {  // U+3000, ideographic space
    EXPECT_EQ(ErrorOf(stack_.Call("CreateActivity", {{"name", name}})),
              StatesError("InvalidName", "Invalid Name: '" + name + "'"))
        << name;
  }
}

TEST_F(AwsRequestMembers, AcceptsNamesOfLettersDigitsDashesDotsAndNonAsciiLetters) {
  for (const std::string name : {"a-b_c.d", "Order2024",
                                 "gr\xC3\xB6\xC3\x9F"
                                 "e",
                                 "\xE6\xB3\xA8"}) {
    AwsAnswer answer = stack_.Call("CreateActivity", {{"name", name}});
    EXPECT_EQ(answer.status, 200) << name << ": " << answer.raw;
  }
}

// --- Tag lists (CreateStateMachine and CreateActivity take them) -----------------------

TEST_F(AwsRequestMembers, ChecksTheLengthOfTagKeysAndValues) {
  const std::string long_key(129, 'k'), long_value(257, 'v');
  EXPECT_EQ(ErrorOf(stack_.Call("CreateActivity", {{"name", "a"},
                                                   {"tags",
                                                    {{{"key", ""}, {"value", "x"}},
                                                     {{"key", long_key}, {"value", "x"}},
                                                     {{"key", "k"}, {"value", long_value}}}}})),
            ValidationError("3 validation errors detected: "
                            "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member "
                            "must have length greater than or equal to 1; "
                            "Value '" +
                            long_key +
                            "' at 'tags.2.member.key' failed to satisfy constraint: Member must "
                            "have length less than or equal to 128; "
                            "Value '" +
                            long_value +
                            "' at 'tags.3.member.value' failed to satisfy constraint: Member must "
                            "have length less than or equal to 256"));
}

TEST_F(AwsRequestMembers, RefusesATagThatIsNotAKeyValueObject) {
  EXPECT_EQ(ErrorOf(stack_.Call("CreateActivity", {{"name", "a"}, {"tags", {"k"}}})),
            PlainError(400, "SerializationException", "Expected an object at 'tags.1.member'"));
  EXPECT_EQ(
      ErrorOf(stack_.Call("CreateActivity",
                          {{"name", "a"}, {"tags", {{{"key", "k"}}, {{"value", "no key"}}}}})),
      PlainError(400, "SerializationException",
                 "Expected string members 'key' and 'value' at 'tags.2.member'"));
}

TEST_F(AwsRequestMembers, RefusesMoreThanFiftyTagsAtCreation) {
  Json tags = Json::array();
  for (int i = 0; i < 51; ++i) tags.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  EXPECT_EQ(
      ErrorOf(stack_.Call(
          "CreateStateMachine",
          {{"name", "m"}, {"definition", kPassDefinition}, {"roleArn", kRoleArn}, {"tags", tags}})),
      StatesError("TooManyTags", "Too many tags: '" + MachineArn("m") +
                                     "' would have 51 tags; at most 50 are allowed"));
  // Nothing was created.
  EXPECT_EQ(ErrorOf(stack_.Call("DescribeStateMachine", {{"stateMachineArn", MachineArn("m")}})),
            StatesError("StateMachineDoesNotExist",
                        "State Machine Does Not Exist: '" + MachineArn("m") + "'"));
}

TEST_F(AwsRequestMembers, KeepsTagsGivenAtCreationWithALaterKeyReplacingAnEarlierOne) {
  ASSERT_EQ(stack_
                .Call("CreateActivity", {{"name", "a"},
                                         {"tags",
                                          {{{"key", "team"}, {"value", "x"}},
                                           {{"key", "env"}},
                                           {{"key", "team"}, {"value", "y"}}}}})
                .status,
            200);
  AwsAnswer tags = stack_.Call("ListTagsForResource", {{"resourceArn", ActivityArn("a")}});
  EXPECT_EQ(tags.body, Json::parse(R"({"tags":[{"key":"team","value":"y"},
                                               {"key":"env","value":""}]})"));
}

}  // namespace
}  // namespace stepd::api::testing
